import { execFileSync, spawnSync } from 'node:child_process';

const runs = (command: string, args: string[]): boolean => spawnSync(command, args, { stdio: 'ignore' }).status === 0;

/**
 * Installs a Debian package when the program it provides is missing, on a fresh machine where
 * we run as root (the local stack and the tests need Java for DynamoDB Local, the browser test
 * needs Chromium); elsewhere says exactly what is missing.
 */
export const ensureDebianPackage = (
  check: () => boolean,
  pkg: string,
  what: string,
  log: (line: string) => void = console.error,
): void => {
  if (check()) return;
  const canApt = process.getuid?.() === 0 && runs('apt-get', ['--version']);
  if (!canApt) throw new Error(`${what} is missing: install it (Debian: apt-get install ${pkg})`);
  log(`${what} not found: installing ${pkg} with apt-get (once per machine)...`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', pkg], { stdio: 'inherit', env });
  if (!check()) throw new Error(`installed ${pkg} but ${what} still does not run`);
};

/** DynamoDB Local is a Java program. */
export const ensureJava = (log?: (line: string) => void): void =>
  ensureDebianPackage(() => runs('java', ['-version']), 'default-jre-headless', 'Java (a JRE 17+ for DynamoDB Local)', log);
