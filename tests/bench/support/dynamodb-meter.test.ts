import { GetItemCommand, PutItemCommand, QueryCommand, TransactWriteItemsCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { TableRef } from '../../../src/adapters/dynamodb/client';
import { LOCAL_AWS_ENV } from '../../../local/dynamodb-local';
import { freshTable } from '../../support/table';
import { DynamoMeter } from './dynamodb-meter';
import { itemBytes, numberBytes, writeUnitsFor } from './item-size';

let ref: TableRef;
let meter: DynamoMeter;

const key = (sk: string) => ({ PK: { S: 'METER' }, SK: { S: sk } });
/** An item of about 1.5 KB: two write units. */
const bigItem = (sk: string) => ({ ...key(sk), blob: { S: 'x'.repeat(1_500) } });

beforeAll(async () => {
  ref = await freshTable();
  meter = new DynamoMeter(inject('dynamoEndpoint'), LOCAL_AWS_ENV.AWS_REGION);
  meter.attach(ref.base);
});
afterAll(() => meter.destroy());
beforeEach(async () => meter.reset());

describe('item size', () => {
  it('counts a number by its significant digits, as DynamoDB documents it', () => {
    expect([numberBytes('5'), numberBytes('12'), numberBytes('123'), numberBytes('1000000'), numberBytes('0.250')]).toEqual([2, 2, 3, 2, 2]);
  });

  it('counts attribute names and UTF-8 bytes, and bills at least one unit per started KB', () => {
    expect(itemBytes({ PK: { S: 'é' }, n: { N: '42' } })).toBe(2 + 2 + 1 + 2);
    expect([writeUnitsFor(0), writeUnitsFor(1_024), writeUnitsFor(1_025)]).toEqual([1, 1, 2]);
  });
});

describe('DynamoMeter', () => {
  it('counts the writes of a document client built on the metered client', async () => {
    await ref.client.send(new PutCommand({ TableName: ref.tableName, Item: { PK: 'METER', SK: 'doc' } }));

    expect(await meter.snapshot()).toMatchObject({ writeRequests: 1, writeUnits: 1, computedWriteUnits: 0 });
  });

  it('doubles a transaction and adds its condition checks from item sizes', async () => {
    await ref.base.send(new PutItemCommand({ TableName: ref.tableName, Item: bigItem('checked') }));
    await meter.reset();

    await ref.base.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          { Put: { TableName: ref.tableName, Item: key('marker'), ConditionExpression: 'attribute_not_exists(PK)' } },
          { Update: { TableName: ref.tableName, Key: key('bucket'), UpdateExpression: 'ADD n :one', ExpressionAttributeValues: { ':one': { N: '1' } } } },
          { ConditionCheck: { TableName: ref.tableName, Key: key('checked'), ConditionExpression: 'attribute_exists(PK)' } },
        ],
      }),
    );

    // (1 + 1 reported) x 2, plus the 1.5 KB check: 2 x 2.
    const usage = await meter.snapshot();
    expect(usage).toMatchObject({ writeRequests: 1, writeUnits: 8, computedWriteUnits: 4, reportedWriteUnits: 4 });
    expect(usage.byCommand.TransactWriteItemsCommand).toMatchObject({ calls: 1, units: 8, reportedUnits: 4 });
  });

  it('bills a failed conditional write by the larger of the stored and the new item', async () => {
    await ref.base.send(new PutItemCommand({ TableName: ref.tableName, Item: bigItem('taken') }));
    await meter.reset();

    const put = ref.base.send(new PutItemCommand({ TableName: ref.tableName, Item: key('taken'), ConditionExpression: 'attribute_not_exists(PK)' }));

    await expect(put).rejects.toThrow(expect.objectContaining({ name: 'ConditionalCheckFailedException' }));
    expect(await meter.snapshot()).toMatchObject({ writeRequests: 1, failedWrites: 1, writeUnits: 2, computedWriteUnits: 2 });
  });

  it('bills a cancelled transaction like a committed one', async () => {
    await ref.base.send(new PutItemCommand({ TableName: ref.tableName, Item: key('seen') }));
    await meter.reset();

    const tx = ref.base.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          { Put: { TableName: ref.tableName, Item: key('seen'), ConditionExpression: 'attribute_not_exists(PK)' } },
          { Update: { TableName: ref.tableName, Key: key('other'), UpdateExpression: 'ADD n :one', ExpressionAttributeValues: { ':one': { N: '1' } } } },
        ],
      }),
    );

    await expect(tx).rejects.toThrow(expect.objectContaining({ name: 'TransactionCanceledException' }));
    expect(await meter.snapshot()).toMatchObject({ failedWrites: 1, writeUnits: 4, failures: { TransactionCanceledException: 1 } });
  });

  it('leaves requests of other clients and non-data-plane commands uncounted', async () => {
    await ref.base.send(new UpdateItemCommand({ TableName: ref.tableName, Key: key('counted'), UpdateExpression: 'ADD n :one', ExpressionAttributeValues: { ':one': { N: '1' } } }));

    const usage = await meter.snapshot();

    expect(usage.byCommand).toEqual({ UpdateItemCommand: { calls: 1, failed: 0, units: 1, reportedUnits: 1, emptyReads: 0 } });
  });

  it("bills reads reported at 0 (they found nothing) at AWS's minimum for their kind, the others as reported", async () => {
    await ref.base.send(new PutItemCommand({ TableName: ref.tableName, Item: key('found') }));
    await meter.reset();
    const query = (consistent: boolean) =>
      new QueryCommand({
        TableName: ref.tableName,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': { S: 'METER#NONE' } },
        ConsistentRead: consistent,
      });

    await ref.base.send(new GetItemCommand({ TableName: ref.tableName, Key: key('found') }));
    await ref.base.send(new GetItemCommand({ TableName: ref.tableName, Key: key('absent'), ConsistentRead: true }));
    await ref.base.send(query(false));
    await ref.base.send(query(true));

    // DynamoDB Local reports the GetItems (0.5 found, 1 for the consistent miss) but 0 for an empty Query:
    // billed at 0.5 eventually consistent, 1 strongly consistent.
    const usage = await meter.snapshot();
    expect(usage).toMatchObject({ readRequests: 4, readUnits: 1.5, billedReadUnits: 3, emptyReads: 2, unreported: 0 });
    expect(usage.byCommand.GetItemCommand).toMatchObject({ calls: 2, units: 1.5, reportedUnits: 1.5, emptyReads: 0 });
    expect(usage.byCommand.QueryCommand).toMatchObject({ calls: 2, units: 0, reportedUnits: 0, emptyReads: 2 });
  });
});
