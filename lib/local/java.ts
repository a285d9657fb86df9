import { execFileSync, spawnSync } from 'node:child_process';

const hasJava = (): boolean => spawnSync('java', ['-version'], { stdio: 'ignore' }).status === 0;

/**
 * DynamoDB Local is a Java program. On a fresh machine without Java, install Debian's
 * headless JRE (we run as root there); elsewhere say exactly what is missing.
 */
export const ensureJava = (log: (line: string) => void = console.error): void => {
  if (hasJava()) return;
  const canApt = process.getuid?.() === 0 && spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!canApt) {
    throw new Error('DynamoDB Local needs Java: install a JRE 17+ (Debian: apt-get install default-jre-headless)');
  }
  log('java not found: installing default-jre-headless with apt-get (once per machine)...');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'default-jre-headless'], {
    stdio: 'inherit',
    env,
  });
  if (!hasJava()) throw new Error('installed default-jre-headless but java still does not run');
};
