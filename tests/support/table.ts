import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';
import { ensureTable, LOCAL_AWS_ENV } from '../../local/dynamodb-local';
import { createTableRef, type TableRef } from '../../src/adapters/dynamodb/client';

/** A fresh table, built from the stack's definition, in the run's DynamoDB Local. */
export const freshTable = async (): Promise<TableRef> => {
  const endpoint = inject('dynamoEndpoint');
  const tableName = `test-${randomUUID()}`;
  Object.assign(process.env, LOCAL_AWS_ENV);
  const admin = new DynamoDBClient({ endpoint, region: LOCAL_AWS_ENV.AWS_REGION });
  await ensureTable(admin, tableName);
  admin.destroy();
  return createTableRef({ TABLE_NAME: tableName, AWS_REGION: LOCAL_AWS_ENV.AWS_REGION, DYNAMODB_ENDPOINT: endpoint });
};
