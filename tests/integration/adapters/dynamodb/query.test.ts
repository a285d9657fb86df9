import { BatchWriteCommand, NumberValue } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TableRef } from '../../../../src/adapters/dynamodb/client';
import { tenantCursorShape } from '../../../../src/adapters/dynamodb/cursor';
import { ATTR, INDEX, tenantPk } from '../../../../src/adapters/dynamodb/keys';
import { OverageRepository } from '../../../../src/adapters/dynamodb/overages';
import { getAllExact, queryAll, queryPage, queryPages } from '../../../../src/adapters/dynamodb/query';
import { UsageRepository } from '../../../../src/adapters/dynamodb/usage';
import { freshTable } from '../../../support/table';

let table: TableRef;
let queries = 0;

beforeAll(async () => {
  table = await freshTable();
  table.base.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'QueryCommand') queries += 1;
      return next(args);
    },
    { step: 'initialize', name: 'countQueries' },
  );
});

/** Counts the Query requests `run` sends. */
const queriesOf = async <T>(run: () => Promise<T>): Promise<{ result: T; requests: number }> => {
  const before = queries;
  const result = await run();
  return { result, requests: queries - before };
};

const putAll = async (items: Record<string, unknown>[]) => {
  for (let i = 0; i < items.length; i += 25) {
    await table.client.send(new BatchWriteCommand({ RequestItems: { [table.tableName]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) } }));
  }
};

const sk = (n: number) => `ROW#${String(n).padStart(3, '0')}`;
const rowsOf = (tenantId: string) => ({
  KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
  ExpressionAttributeNames: { '#pk': ATTR.pk, '#sk': ATTR.sk },
  ExpressionAttributeValues: { ':pk': tenantPk(tenantId), ':prefix': 'ROW#' },
});

describe('query helpers over DynamoDB Local', () => {
  beforeAll(async () => {
    // 23 small rows; and 12 rows of ~200 KB, over 2 MB in all: DynamoDB's 1 MB page limit splits them.
    await putAll(Array.from({ length: 23 }, (_, n) => ({ PK: tenantPk('org-q'), SK: sk(n), n, big: 9_007_199_254_740_993n })));
    await putAll(Array.from({ length: 12 }, (_, n) => ({ PK: tenantPk('org-big'), SK: sk(n), n, blob: 'x'.repeat(200_000) })));
  });

  it('reads every item across pages of Limit, in key order', async () => {
    const { result, requests } = await queriesOf(() => queryAll(table, { ...rowsOf('org-q'), Limit: 5 }));
    expect(result.map((i) => i.n)).toEqual(Array.from({ length: 23 }, (_, n) => n));
    expect(requests).toBe(5);
  });

  it('reads every item across the pages DynamoDB cuts at 1 MB, with no Limit', async () => {
    const { result, requests } = await queriesOf(() => queryAll(table, rowsOf('org-big')));
    expect(result.map((i) => i.n)).toEqual(Array.from({ length: 12 }, (_, n) => n));
    expect(requests).toBeGreaterThan(1);
  });

  it('reads numbers exactly across pages when asked to', async () => {
    const items = await queryAll(table, { ...rowsOf('org-q'), Limit: 10 }, { exactNumbers: true });
    expect(items).toHaveLength(23);
    expect(items.every((i) => i.big instanceof NumberValue && i.big.toString() === '9007199254740993')).toBe(true);
  });

  it('stops at maxItems, newest first, in as few requests as the page size allows', async () => {
    const { result, requests } = await queriesOf(async () => {
      const pages: Record<string, unknown>[][] = [];
      for await (const page of queryPages(table, { ...rowsOf('org-q'), ScanIndexForward: false, Limit: 4 }, { maxItems: 10 })) pages.push(page);
      return pages;
    });
    expect(result.map((p) => p.length)).toEqual([4, 4, 2]);
    expect(result.flat().map((i) => i.n)).toEqual([22, 21, 20, 19, 18, 17, 16, 15, 14, 13]);
    expect(requests).toBe(3);
  });

  it('walks a listing page by page with cursors, never repeating an item, the last cursor null', async () => {
    const shape = tenantCursorShape('org-q', { prefix: 'ROW#' });
    const seen: unknown[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await queryPage(table, rowsOf('org-q'), { limit: 7, cursor, shape });
      seen.push(...page.items.map((i) => i.n));
      cursor = page.nextCursor ?? undefined;
      pages += 1;
    } while (cursor !== undefined);
    expect(seen).toEqual(Array.from({ length: 23 }, (_, n) => n));
    expect(pages).toBe(4);
  });

  it('refuses a cursor from another tenant with a 400', async () => {
    const other = await queryPage(table, rowsOf('org-big'), { limit: 1, shape: tenantCursorShape('org-big', { prefix: 'ROW#' }) });
    await expect(
      queryPage(table, rowsOf('org-q'), { limit: 5, cursor: other.nextCursor ?? undefined, shape: tenantCursorShape('org-q', { prefix: 'ROW#' }) }),
    ).rejects.toMatchObject({ code: 'invalid_request' });
  });

  it('reads many items by key in batches of 100', async () => {
    const keys = Array.from({ length: 23 }, (_, n) => ({ PK: tenantPk('org-q'), SK: sk(n) }));
    const missing = Array.from({ length: 180 }, (_, n) => ({ PK: tenantPk('org-q'), SK: `NONE#${n}` }));
    const items = await getAllExact(table, [...keys, ...missing]);
    expect(items.map((i) => String(i[ATTR.sk])).sort()).toEqual(keys.map((k) => k.SK));
  });

  it('queries an index across pages', async () => {
    await putAll(Array.from({ length: 9 }, (_, n) => ({ PK: `TEST#gsi-${n}`, SK: 'MARKER', GSI1PK: 'TEST#by-index', GSI1SK: sk(n) })));
    const items = await queryAll(table, {
      IndexName: INDEX.gsi1,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': ATTR.gsi1pk },
      ExpressionAttributeValues: { ':pk': 'TEST#by-index' },
      Limit: 2,
    });
    expect(items.map((i) => i.GSI1SK)).toEqual(Array.from({ length: 9 }, (_, n) => sk(n)));
  });
});

describe('OverageRepository.duePeriods over several pages and shards', () => {
  it('finds every ended unbilled period, and stops at the limit', async () => {
    const usage = new UsageRepository(table);
    const tenants = Array.from({ length: 30 }, (_, n) => `org-due-${n}`);
    for (const tenant of tenants) {
      await usage.ensurePeriod({ tenant_id: tenant, start: '2027-01-01T00:00:00.000Z', end: '2027-02-01T00:00:00.000Z', trial: false, plan_id: 'starter', currency: 'usd' });
      await usage.markMayBill(tenant, '2027-01-01T00:00:00.000Z');
    }
    // Not ended before the cut-off: not due.
    await usage.ensurePeriod({ tenant_id: 'org-due-late', start: '2027-02-01T00:00:00.000Z', end: '2027-03-01T00:00:00.000Z', trial: false, plan_id: 'starter', currency: 'usd' });
    await usage.markMayBill('org-due-late', '2027-02-01T00:00:00.000Z');
    // Ended, but its usage never may bill (never marked): not on the index at all.
    await usage.ensurePeriod({ tenant_id: 'org-due-quiet', start: '2027-01-01T00:00:00.000Z', end: '2027-02-01T00:00:00.000Z', trial: false, plan_id: 'starter', currency: 'usd' });

    const overages = new OverageRepository(table);
    const before = new Date('2027-02-15T00:00:00.000Z');
    const all = await overages.duePeriods(before);
    expect(all.map((p) => p.tenant_id).sort()).toEqual([...tenants].sort());

    const some = await overages.duePeriods(before, 7);
    expect(some).toHaveLength(7);
    expect(new Set(some.map((p) => p.tenant_id)).size).toBe(7);
    expect(await overages.earliestUnbilledEnd()).toEqual(new Date('2027-02-01T00:00:00.000Z'));
  });
});
