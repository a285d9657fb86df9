import { ConditionalCheckFailedException, DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { TableRef } from '../../../../src/adapters/dynamodb/client';
import {
  cancellationCodes,
  ConditionFailed,
  conditionalWrite,
  ifAbsent,
  isConditionFailure,
  putIfAbsent,
} from '../../../../src/adapters/dynamodb/conditions';

const documents = mockClient(DynamoDBDocumentClient);
beforeEach(() => documents.reset());
afterAll(() => documents.restore());

const base = new DynamoDBClient({ region: 'us-east-1' });
const table: TableRef = { client: DynamoDBDocumentClient.from(base), base, tableName: 'billing' };

const conditionFailed = (item?: ConditionalCheckFailedException['Item']) =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, ...(item ? { Item: item } : {}) });

const cancelled = (codes: (string | undefined)[] | undefined) =>
  new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    ...(codes ? { CancellationReasons: codes.map((Code) => (Code === undefined ? {} : { Code })) } : {}),
  });

describe('isConditionFailure', () => {
  it('recognises DynamoDB\'s ConditionalCheckFailedException, by name', () => {
    expect(isConditionFailure(conditionFailed())).toBe(true);
    expect(isConditionFailure(Object.assign(new Error('x'), { name: 'ConditionalCheckFailedException' }))).toBe(true);
  });

  it('does not take a cancelled transaction, another error or a non-error for one', () => {
    expect(isConditionFailure(cancelled(['ConditionalCheckFailed']))).toBe(false);
    expect(isConditionFailure(new Error('ConditionalCheckFailedException'))).toBe(false);
    expect(isConditionFailure({ name: 'ConditionalCheckFailedException' })).toBe(false);
  });
});

describe('cancellationCodes', () => {
  it('answers each item\'s reason in TransactItems order, None for the items that did not fail', () => {
    expect(cancellationCodes(cancelled(['None', 'ConditionalCheckFailed', 'TransactionConflict']))).toEqual([
      'None',
      'ConditionalCheckFailed',
      'TransactionConflict',
    ]);
  });

  it('reads a reason without a code as None', () => {
    expect(cancellationCodes(cancelled([undefined, 'ConditionalCheckFailed']))).toEqual(['None', 'ConditionalCheckFailed']);
  });

  it('answers no codes for a cancellation that carries no reasons', () => {
    expect(cancellationCodes(cancelled(undefined))).toEqual([]);
  });

  it('answers null when the error is not a cancelled transaction', () => {
    expect(cancellationCodes(conditionFailed())).toBeNull();
    expect(cancellationCodes(new Error('boom'))).toBeNull();
    expect(cancellationCodes(undefined)).toBeNull();
  });
});

describe('conditionalWrite', () => {
  it('sends a put to the table asking for the old item should the condition fail', async () => {
    // Prepare
    documents.on(PutCommand).resolves({});

    // Act
    const attributes = await conditionalWrite(table, { Put: { Item: { PK: 'A', SK: 'B' }, ...ifAbsent() } });

    // Assess
    expect(attributes).toBeUndefined();
    expect(documents.commandCalls(PutCommand)[0]?.args[0].input).toEqual({
      TableName: 'billing',
      Item: { PK: 'A', SK: 'B' },
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': 'PK' },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  it('sends an update the same way and answers what ReturnValues asked for', async () => {
    documents.on(UpdateCommand).resolves({ Attributes: { n: 3 } });

    const attributes = await conditionalWrite(table, {
      Update: { Key: { PK: 'A', SK: 'B' }, UpdateExpression: 'ADD #n :one', ConditionExpression: '#n < :max', ReturnValues: 'UPDATED_NEW' },
    });

    expect(attributes).toEqual({ n: 3 });
    expect(documents.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
      TableName: 'billing',
      ReturnValues: 'UPDATED_NEW',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  it('throws ConditionFailed carrying the existing item, converted from wire format, and the cause', async () => {
    const cause = conditionFailed({ PK: { S: 'A' }, SK: { S: 'B' }, n: { N: '12' }, tags: { L: [{ S: 'x' }] }, done: { BOOL: true } });
    documents.on(PutCommand).rejects(cause);

    const error = await conditionalWrite(table, { Put: { Item: { PK: 'A', SK: 'B' }, ...ifAbsent() } }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ConditionFailed);
    expect(error).toMatchObject({ name: 'ConditionFailed', item: { PK: 'A', SK: 'B', n: 12, tags: ['x'], done: true } });
    expect((error as ConditionFailed).cause).toBe(cause);
  });

  it('throws ConditionFailed without an item when there was none', async () => {
    documents.on(UpdateCommand).rejects(conditionFailed());

    const error = await conditionalWrite(table, { Update: { Key: { PK: 'A', SK: 'B' }, UpdateExpression: 'SET a = :a', ConditionExpression: 'attribute_exists(PK)' } }).catch(
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(ConditionFailed);
    expect((error as ConditionFailed).item).toBeUndefined();
  });

  it('throws any other error unchanged', async () => {
    const throttled = Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' });
    documents.on(PutCommand).rejects(throttled);

    await expect(conditionalWrite(table, { Put: { Item: { PK: 'A', SK: 'B' }, ...ifAbsent() } })).rejects.toBe(throttled);
  });
});

describe('putIfAbsent', () => {
  it('answers true when it wrote the item', async () => {
    documents.on(PutCommand).resolves({});
    expect(await putIfAbsent(table, { PK: 'A', SK: 'B' })).toBe(true);
  });

  it('answers false when an item with the key exists', async () => {
    documents.on(PutCommand).rejects(conditionFailed({ PK: { S: 'A' }, SK: { S: 'B' } }));
    expect(await putIfAbsent(table, { PK: 'A', SK: 'B' })).toBe(false);
  });

  it('throws any other error', async () => {
    documents.on(PutCommand).rejects(new Error('network down'));
    await expect(putIfAbsent(table, { PK: 'A', SK: 'B' })).rejects.toThrow('network down');
  });
});
