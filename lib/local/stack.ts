import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureTable, LOCAL_AWS_ENV, startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local';
import { startHttpApi, type RunningHttpApi } from './http-api';
import { loadOrCreateKeys, verifyBearer, type LocalKeys } from './jwt';
import { freePort } from './ports';
import { routeTable, type RouteTable } from '../routes';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const DEFAULT_DATA_DIR = join(REPO_ROOT, '.data');
export const LOCAL_TABLE_NAME = 'securenet-billing';

export interface LocalStackOptions {
  /** API port; 0 picks a free one. */
  readonly port: number;
  /** Where keys and DynamoDB data live; `inMemory` keeps the database in memory only. */
  readonly dataDir?: string;
  readonly inMemory?: boolean;
  /** Delete `dataDir` first. */
  readonly reset?: boolean;
  /** An already running DynamoDB Local (tests start one per run); else one is started. */
  readonly dynamoEndpoint?: string;
  readonly dynamoPort?: number;
  readonly tableName?: string;
  /** Serve another route table (tests mount fixtures); the real one by default. */
  readonly routeTable?: RouteTable;
}

export interface LocalStack {
  readonly apiUrl: string;
  readonly dynamoEndpoint: string;
  readonly tableName: string;
  readonly keys: LocalKeys;
  stop(): Promise<void>;
}

/**
 * The whole local stack: DynamoDB Local with the stack's table, the environment the Lambdas
 * get in AWS, and the HTTP API built from the route table.
 */
export const startLocalStack = async (options: LocalStackOptions): Promise<LocalStack> => {
  const dataDir = options.dataDir ?? DEFAULT_DATA_DIR;
  if (options.reset) rmSync(dataDir, { recursive: true, force: true });
  const tableName = options.tableName ?? LOCAL_TABLE_NAME;

  let dynamo: DynamoDbLocal | undefined;
  let endpoint = options.dynamoEndpoint;
  if (!endpoint) {
    dynamo = await startDynamoDbLocal({
      port: options.dynamoPort ?? (await freePort()),
      ...(options.inMemory ? {} : { dataDir: join(dataDir, 'dynamodb') }),
    });
    endpoint = dynamo.endpoint;
  }
  try {
    const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
    const admin =
      dynamo?.client ??
      new DynamoDBClient({
        endpoint,
        region: LOCAL_AWS_ENV.AWS_REGION,
        credentials: { accessKeyId: LOCAL_AWS_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: LOCAL_AWS_ENV.AWS_SECRET_ACCESS_KEY },
      });
    await ensureTable(admin, tableName);

    // The handlers run in this process, so they read the same variables the stack sets in AWS.
    Object.assign(process.env, LOCAL_AWS_ENV, { TABLE_NAME: tableName, DYNAMODB_ENDPOINT: endpoint });

    const keys = await loadOrCreateKeys(join(dataDir, 'keys', 'jwt-es256.json'));
    const api: RunningHttpApi = await startHttpApi({
      port: options.port,
      repoRoot: REPO_ROOT,
      table: options.routeTable ?? routeTable,
      verify: (authorization) => verifyBearer(keys, authorization),
    });
    return {
      apiUrl: api.url,
      dynamoEndpoint: endpoint,
      tableName,
      keys,
      stop: async () => {
        await api.close();
        await dynamo?.stop();
      },
    };
  } catch (error) {
    await dynamo?.stop();
    throw error;
  }
};
