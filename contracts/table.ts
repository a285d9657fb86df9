import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/**
 * The single table's shape, used by the CDK stack and by the local runner to create the same
 * table in DynamoDB Local. Key design: docs/data-model.md.
 */
export const tableDefinition = {
  partitionKey: 'PK',
  sortKey: 'SK',
  ttlAttribute: 'expires_at',
  indexes: [
    /** Inverse lookups: a Stripe id or an invoice id -> its tenant item. */
    { name: 'GSI1', partitionKey: 'GSI1PK', sortKey: 'GSI1SK' },
    /** Sparse work index: unbilled usage periods by end time, for the overage planner. */
    { name: 'GSI2', partitionKey: 'GSI2PK', sortKey: 'GSI2SK' },
  ],
} as const;

/** The indexes by name, for queries: GSI1 inverse lookups, GSI2 the sparse work index. */
export const TABLE_INDEX = {
  gsi1: tableDefinition.indexes[0].name,
  gsi2: tableDefinition.indexes[1].name,
} as const;

/** Partition-key prefix of the per-tenant rate-limit counters (IAM scopes read-only functions to it). */
export const RATE_LIMIT_KEY_PREFIX = 'RATE#';

export type IndexName = (typeof tableDefinition.indexes)[number]['name'];

/** The same table as a DynamoDB CreateTable request (on-demand, every index projecting all). */
export const createTableInput = (tableName: string): CreateTableCommandInput => {
  const keyNames = [
    tableDefinition.partitionKey,
    tableDefinition.sortKey,
    ...tableDefinition.indexes.flatMap((i) => [i.partitionKey, i.sortKey]),
  ];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: keyNames.map((name) => ({ AttributeName: name, AttributeType: 'S' })),
    KeySchema: [
      { AttributeName: tableDefinition.partitionKey, KeyType: 'HASH' },
      { AttributeName: tableDefinition.sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: tableDefinition.indexes.map((i) => ({
      IndexName: i.name,
      KeySchema: [
        { AttributeName: i.partitionKey, KeyType: 'HASH' },
        { AttributeName: i.sortKey, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    })),
  };
};
