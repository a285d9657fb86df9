import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { TableRef } from '../../../../src/adapters/dynamodb/client';
import { encodeCursor, tenantCursorShape } from '../../../../src/adapters/dynamodb/cursor';
import { ExactBatchGetCommand, ExactQueryCommand } from '../../../../src/adapters/dynamodb/exact-numbers';
import { getAllExact, queryAll, queryFirst, queryPage, queryPages } from '../../../../src/adapters/dynamodb/query';

const documents = mockClient(DynamoDBDocumentClient);
beforeEach(() => documents.reset());
afterAll(() => documents.restore());

const base = new DynamoDBClient({ region: 'us-east-1' });
const table: TableRef = { client: DynamoDBDocumentClient.from(base), base, tableName: 'billing' };

const input = { KeyConditionExpression: '#pk = :pk', ExpressionAttributeNames: { '#pk': 'PK' }, ExpressionAttributeValues: { ':pk': 'TENANT#org-1' } };
const key = (n: number) => ({ PK: 'TENANT#org-1', SK: `EVENT#${n}` });
const items = (...ns: number[]) => ns.map((n) => ({ ...key(n), n }));

/** Three pages of two items; the last one without a LastEvaluatedKey. */
const threePages = () =>
  documents
    .on(QueryCommand)
    .resolvesOnce({ Items: items(1, 2), LastEvaluatedKey: key(2) })
    .resolvesOnce({ Items: items(3, 4), LastEvaluatedKey: key(4) })
    .resolvesOnce({ Items: items(5, 6) });

const collect = async <T>(pages: AsyncIterable<T>): Promise<T[]> => {
  const all: T[] = [];
  for await (const page of pages) all.push(page);
  return all;
};

const sentInputs = () => documents.commandCalls(QueryCommand).map((call) => call.args[0].input);

describe('queryPages', () => {
  it('follows LastEvaluatedKey page by page until the last page', async () => {
    threePages();

    const pages: unknown[] = [];
    for await (const page of queryPages(table, input)) pages.push(page.map((i) => i.n));

    expect(pages).toEqual([[1, 2], [3, 4], [5, 6]]);
    expect(sentInputs().map((i) => i.ExclusiveStartKey)).toEqual([undefined, key(2), key(4)]);
    expect(sentInputs()[0]).toMatchObject({ TableName: 'billing', ...input });
  });

  it('reads no further page once the consumer stops', async () => {
    threePages();

    for await (const page of queryPages(table, input)) if (page.length > 0) break;

    expect(sentInputs()).toHaveLength(1);
  });

  it('passes Limit through as the page size', async () => {
    threePages();

    await collect(queryPages(table, { ...input, Limit: 2 }));

    expect(sentInputs().map((i) => i.Limit)).toEqual([2, 2, 2]);
  });

  it('cuts the last request to maxItems and stops there, though more pages remain', async () => {
    threePages();

    const read = await collect(queryPages(table, { ...input, Limit: 2 }, { maxItems: 3 }));

    expect(read.flat().map((i) => i.n)).toEqual([1, 2, 3, 4]);
    expect(sentInputs().map((i) => i.Limit)).toEqual([2, 1]);
  });

  it('sends nothing for maxItems 0', async () => {
    threePages();
    expect(await collect(queryPages(table, input, { maxItems: 0 }))).toEqual([]);
    expect(sentInputs()).toHaveLength(0);
  });

  it('yields an empty page for a response without Items', async () => {
    documents.on(QueryCommand).resolves({});
    expect(await collect(queryPages(table, input))).toEqual([[]]);
  });
});

describe('queryAll', () => {
  it('answers the items of every page in order', async () => {
    threePages();
    expect((await queryAll(table, input)).map((i) => i.n)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('reads numbers exactly when asked to', async () => {
    documents.on(QueryCommand).resolves({ Items: items(1) });

    await queryAll(table, input, { exactNumbers: true });
    await queryAll(table, input);

    const [exact, plain] = documents.commandCalls(QueryCommand).map((call) => call.args[0]);
    expect(exact).toBeInstanceOf(ExactQueryCommand);
    expect(plain).not.toBeInstanceOf(ExactQueryCommand);
  });
});

describe('queryPage', () => {
  const shape = tenantCursorShape('org-1', { prefix: 'EVENT#' });

  it('reads one page of `limit` items from the cursor and answers the next cursor', async () => {
    documents.on(QueryCommand).resolves({ Items: items(3, 4), LastEvaluatedKey: key(4) });

    const page = await queryPage(table, input, { limit: 2, cursor: encodeCursor(key(2)) ?? undefined, shape });

    expect(page).toEqual({ items: items(3, 4), nextCursor: encodeCursor(key(4)) });
    expect(sentInputs()[0]).toMatchObject({ Limit: 2, ExclusiveStartKey: key(2) });
  });

  it('answers a null cursor on the last page', async () => {
    documents.on(QueryCommand).resolves({ Items: items(5) });
    expect(await queryPage(table, input, { limit: 2, shape })).toEqual({ items: items(5), nextCursor: null });
    expect(sentInputs()[0]?.ExclusiveStartKey).toBeUndefined();
  });

  it('refuses a cursor from another tenant before reading anything', async () => {
    const foreign = encodeCursor({ PK: 'TENANT#org-2', SK: 'EVENT#1' }) ?? undefined;
    await expect(queryPage(table, input, { limit: 2, cursor: foreign, shape })).rejects.toMatchObject({ code: 'invalid_request' });
    expect(sentInputs()).toHaveLength(0);
  });
});

describe('queryFirst', () => {
  it('reads one item with Limit 1', async () => {
    documents.on(QueryCommand).resolves({ Items: items(7), LastEvaluatedKey: key(7) });
    expect(await queryFirst(table, input)).toEqual(items(7)[0]);
    expect(sentInputs()).toEqual([expect.objectContaining({ Limit: 1 })]);
  });

  it('answers undefined when nothing matches', async () => {
    documents.on(QueryCommand).resolves({ Items: [] });
    expect(await queryFirst(table, input)).toBeUndefined();
  });
});

describe('getAllExact', () => {
  it('asks for at most 100 keys at a time, consistently and with exact numbers', async () => {
    documents.on(BatchGetCommand).resolves({ Responses: { billing: [] } });

    await getAllExact(table, Array.from({ length: 250 }, (_, n) => key(n)));

    const calls = documents.commandCalls(BatchGetCommand).map((call) => call.args[0]);
    expect(calls.map((c) => c.input.RequestItems?.billing?.Keys?.length)).toEqual([100, 100, 50]);
    expect(calls.every((c) => c instanceof ExactBatchGetCommand && c.input.RequestItems?.billing?.ConsistentRead === true)).toBe(true);
  });

  it('asks again for the keys DynamoDB left unprocessed', async () => {
    documents
      .on(BatchGetCommand)
      .resolvesOnce({ Responses: { billing: items(1) }, UnprocessedKeys: { billing: { Keys: [key(2)], ConsistentRead: true } } })
      .resolvesOnce({ Responses: { billing: items(2) }, UnprocessedKeys: {} });

    const read = await getAllExact(table, [key(1), key(2)]);

    expect(read.map((i) => i.n)).toEqual([1, 2]);
    expect(documents.commandCalls(BatchGetCommand)[1]?.args[0].input.RequestItems).toEqual({ billing: { Keys: [key(2)], ConsistentRead: true } });
  });

  it('sends nothing for no keys', async () => {
    expect(await getAllExact(table, [])).toEqual([]);
    expect(documents.commandCalls(BatchGetCommand)).toHaveLength(0);
  });
});
