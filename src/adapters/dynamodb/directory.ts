import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { DirectoryPage, TenantDirectory } from '../../app/ports/directory';
import type { TableRef } from './client';
import type { CursorShape, SortBounds } from './cursor';
import { ATTR, DIRECTORY, directoryEntryKey, FIELD, INDEX } from './keys';
import { queryPage } from './query';

/** A search term as indexed and asked for: trimmed, lower case. */
export const directoryTerm = (value: string): string => value.trim().toLowerCase();

/** One entry: its key, and the GSI2 place that puts the tenant in a listing (none: out of that listing). */
const entry = (tenantId: string, what: string, place: { pk: string; sk: string } | null) => ({
  ...directoryEntryKey(tenantId, what),
  [FIELD.tenantId]: tenantId,
  ...(place ? { [ATTR.gsi2pk]: place.pk, [ATTR.gsi2sk]: place.sk } : {}),
});

const termPlace = (tenantId: string, value: string | null): { pk: string; sk: string } | null => {
  const term = value === null ? '' : directoryTerm(value);
  return term ? { pk: DIRECTORY.term(term.charAt(0)), sk: `${term}#${tenantId}` } : null;
};

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

const put = (table: TableRef, Item: Record<string, unknown>): TransactItem => ({ Put: { TableName: table.tableName, Item } });

/** The entries every writer keeps: the tenant in the whole listing, and found by its id. */
const always = (table: TableRef, tenantId: string): TransactItem[] => [
  put(table, entry(tenantId, 'ALL', { pk: DIRECTORY.all, sk: tenantId })),
  put(table, entry(tenantId, 'TERM#id', termPlace(tenantId, tenantId))),
];

/** The billing-details writer's part of its transaction: the tenant found by email and name (a value gone takes its entry out). */
export const directoryDetailsWrites = (table: TableRef, tenantId: string, details: { name: string | null; email: string | null }): TransactItem[] => [
  ...always(table, tenantId),
  put(table, entry(tenantId, 'TERM#email', termPlace(tenantId, details.email))),
  put(table, entry(tenantId, 'TERM#name', termPlace(tenantId, details.name))),
];

/** The subscription writer's part of its transaction (the current subscription): the tenant listed by status and plan. */
export const directorySubscriptionWrites = (table: TableRef, tenantId: string, sub: { status: string; plan_id: string }): TransactItem[] => [
  ...always(table, tenantId),
  put(table, entry(tenantId, 'STATUS', { pk: DIRECTORY.status(sub.status), sk: tenantId })),
  put(table, entry(tenantId, 'PLAN', { pk: DIRECTORY.plan(sub.plan_id), sk: tenantId })),
];

/**
 * The admin tenant directory: six small items under each tenant (`DIR#ALL`, `DIR#STATUS`,
 * `DIR#PLAN`, `DIR#TERM#id|email|name`), each placing it in one GSI2 partition, written in the
 * transactions of the billing-details and subscription writers. `search` is one Query.
 */
export class DirectoryRepository implements TenantDirectory {
  constructor(private readonly table: TableRef) {}

  async search(criteria: { prefix?: string; status?: string; planId?: string }, page: { limit: number; cursor?: string }): Promise<DirectoryPage> {
    const prefix = criteria.prefix ? directoryTerm(criteria.prefix) : '';
    const partition = prefix
      ? DIRECTORY.term(prefix.charAt(0))
      : criteria.status
        ? DIRECTORY.status(criteria.status)
        : criteria.planId
          ? DIRECTORY.plan(criteria.planId)
          : DIRECTORY.all;
    const bounds: SortBounds | null = prefix ? { prefix } : null;
    const shape: CursorShape = { fixed: { [ATTR.gsi2pk]: partition }, sorted: { [ATTR.gsi2sk]: bounds, [ATTR.pk]: null, [ATTR.sk]: { prefix: 'DIR#' } } };
    const result = await queryPage(
      this.table,
      {
        IndexName: INDEX.gsi2,
        KeyConditionExpression: prefix ? '#pk = :pk AND begins_with(#sk, :prefix)' : '#pk = :pk',
        ExpressionAttributeNames: { '#pk': ATTR.gsi2pk, ...(prefix ? { '#sk': ATTR.gsi2sk } : {}) },
        ExpressionAttributeValues: { ':pk': partition, ...(prefix ? { ':prefix': prefix } : {}) },
      },
      { limit: page.limit, ...(page.cursor ? { cursor: page.cursor } : {}), shape },
    );
    // A tenant found by its id and its name on one page is listed once.
    const tenantIds = [...new Set(result.items.map((i) => String(i[FIELD.tenantId])))];
    return { tenantIds, nextCursor: result.nextCursor };
  }
}
