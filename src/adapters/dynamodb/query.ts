import { QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { TableRef } from './client';
import { decodeCursor, encodeCursor, type CursorShape } from './cursor';
import { ExactBatchGetCommand, ExactQueryCommand } from './exact-numbers';

type Item = Record<string, unknown>;

/** A query as repositories write it: the helpers add the table and follow the pages. */
export type QueryInput = Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>;

export interface QueryOptions {
  /** Numbers come back as exact `NumberValue`s (see `exact-numbers.ts`) instead of JS numbers. */
  readonly exactNumbers?: boolean;
  /** Read no more than this many items in all: the last request's `Limit` is cut to what is left. */
  readonly maxItems?: number;
}

/** One page of a listing and the opaque cursor of the next (null on the last page). */
export interface Page<T> {
  readonly items: T[];
  readonly nextCursor: string | null;
}

const queryCommand = (table: TableRef, input: Omit<QueryCommandInput, 'TableName'>, exactNumbers: boolean | undefined): QueryCommand => {
  const full = { ...input, TableName: table.tableName };
  return exactNumbers ? new ExactQueryCommand(full) : new QueryCommand(full);
};

/**
 * The pages of a query, one request each, following `LastEvaluatedKey` until the last page (or
 * `maxItems`). `input.Limit` is the page size. A consumer that stops iterating stops the reads.
 * @example
 * for await (const items of queryPages(table, { KeyConditionExpression: '#pk = :pk', ... , Limit: 100 })) {
 *   if (enough(items)) break;
 * }
 */
export async function* queryPages(table: TableRef, input: QueryInput, options: QueryOptions = {}): AsyncGenerator<Item[], void, undefined> {
  let remaining = options.maxItems ?? Number.POSITIVE_INFINITY;
  let start: Item | undefined;
  do {
    if (remaining <= 0) return;
    const limit = options.maxItems === undefined ? input.Limit : Math.min(input.Limit ?? remaining, remaining);
    const out = await table.client.send(
      queryCommand(table, { ...input, ...(limit === undefined ? {} : { Limit: limit }), ExclusiveStartKey: start }, options.exactNumbers),
    );
    const items = out.Items ?? [];
    remaining -= items.length;
    yield items;
    start = out.LastEvaluatedKey;
  } while (start);
}

/**
 * Every item a query matches, across all its pages, in key order.
 * @example
 * const endpoints = await queryAll(table, { KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)', ... });
 */
export const queryAll = async (table: TableRef, input: QueryInput, options: QueryOptions = {}): Promise<Item[]> => {
  const items: Item[] = [];
  for await (const page of queryPages(table, input, options)) items.push(...page);
  return items;
};

/**
 * One page of a client-facing listing: `limit` items from where `cursor` left off, and the cursor
 * of the next page. The cursor is checked against `shape` (a 400, never another tenant's page).
 * @example
 * const page = await queryPage(table, input, { limit: 20, cursor, shape: tenantCursorShape(tenantId, { prefix }) });
 */
export const queryPage = async (
  table: TableRef,
  input: Omit<QueryInput, 'Limit'>,
  page: { readonly limit: number; readonly cursor?: string; readonly shape: CursorShape },
): Promise<Page<Item>> => {
  const out = await table.client.send(
    queryCommand(table, { ...input, Limit: page.limit, ExclusiveStartKey: decodeCursor(page.cursor, page.shape) }, false),
  );
  return { items: out.Items ?? [], nextCursor: encodeCursor(out.LastEvaluatedKey) };
};

/**
 * The first item a query matches (one request with `Limit: 1`), or undefined.
 * @example
 * const profile = await queryFirst(table, { IndexName: TABLE_INDEX.gsi1, KeyConditionExpression: '#pk = :pk', ... });
 */
export const queryFirst = async (table: TableRef, input: Omit<QueryInput, 'Limit'>): Promise<Item | undefined> => {
  const out = await table.client.send(queryCommand(table, { ...input, Limit: 1 }, false));
  return out.Items?.[0];
};

/** DynamoDB's limit of keys per BatchGetItem request. */
const BATCH_GET_KEYS = 100;

/**
 * Consistent reads of many items by key, in requests of 100 keys, asking again for the keys
 * DynamoDB left unprocessed until none are left; numbers come back exact. Order is not kept.
 * @example
 * const items = await getAllExact(table, keys.map((k) => usageBucketKey(tenantId, k.periodStart, k.date)));
 */
export const getAllExact = async (table: TableRef, keys: readonly Record<string, string>[]): Promise<Item[]> => {
  const items: Item[] = [];
  for (let i = 0; i < keys.length; i += BATCH_GET_KEYS) {
    type Request = Record<string, { Keys: Record<string, unknown>[]; ConsistentRead?: boolean }>;
    let request: Request | undefined = { [table.tableName]: { Keys: keys.slice(i, i + BATCH_GET_KEYS).map((k) => ({ ...k })), ConsistentRead: true } };
    while (request && Object.keys(request).length > 0) {
      const out = await table.client.send(new ExactBatchGetCommand({ RequestItems: request }));
      items.push(...(out.Responses?.[table.tableName] ?? []));
      request = out.UnprocessedKeys as Request | undefined;
    }
  }
  return items;
};
