import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { StoreConfig } from '../../platform/config';

/** Where repositories write: a document client and the table name. */
export interface TableRef {
  readonly client: DynamoDBDocumentClient;
  /** The low-level client under `client`, for libraries that want one (Powertools idempotency). */
  readonly base: DynamoDBClient;
  readonly tableName: string;
}

export const createTableRef = (cfg: StoreConfig): TableRef => {
  const base = new DynamoDBClient({
    region: cfg.AWS_REGION,
    ...(cfg.DYNAMODB_ENDPOINT ? { endpoint: cfg.DYNAMODB_ENDPOINT } : {}),
  });
  return {
    client: DynamoDBDocumentClient.from(base, { marshallOptions: { removeUndefinedValues: true } }),
    base,
    tableName: cfg.TABLE_NAME,
  };
};

