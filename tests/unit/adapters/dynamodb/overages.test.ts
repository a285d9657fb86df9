import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { BilledLine } from '../../../../src/app/ports/overages';
import type { TableRef } from '../../../../src/adapters/dynamodb/client';
import { OverageRepository } from '../../../../src/adapters/dynamodb/overages';

const documents = mockClient(DynamoDBDocumentClient);
beforeEach(() => documents.reset());
afterAll(() => documents.restore());

const base = new DynamoDBClient({ region: 'us-east-1' });
const table: TableRef = { client: DynamoDBDocumentClient.from(base), base, tableName: 'billing' };

const line: BilledLine = {
  resource: 'api_calls',
  quantity: 1_200n,
  included: 1_000n,
  overage: 200n,
  unit_price: 0.8,
  amount: 160n,
  currency: 'usd',
  stripe_invoice_item_id: 'ii_1',
};

/** A cancelled transaction: [the line's put, the revenue counter's update]. */
const cancelled = (lineCode: string, counterCode: string) =>
  new TransactionCanceledException({ message: 'Transaction cancelled', $metadata: {}, CancellationReasons: [{ Code: lineCode }, { Code: counterCode }] });

const record = () => new OverageRepository(table).recordLine('org-1', '2027-01-01T00:00:00.000Z', line, new Date('2027-02-01T00:00:00Z'));

describe('OverageRepository', () => {
  describe('recordLine', () => {
    it('does nothing more when the line was recorded before (its put failed its condition)', async () => {
      documents.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'None'));

      await expect(record()).resolves.toBeUndefined();
      expect(documents.commandCalls(TransactWriteCommand)).toHaveLength(1);
    });

    it('tries again when another writer held the counters, and records the line', async () => {
      documents.on(TransactWriteCommand).rejectsOnce(cancelled('None', 'TransactionConflict')).resolves({});

      await record();

      expect(documents.commandCalls(TransactWriteCommand)).toHaveLength(2);
    });

    it('gives up after five conflicts, throwing the cancellation', async () => {
      documents.on(TransactWriteCommand).rejects(cancelled('None', 'TransactionConflict'));

      await expect(record()).rejects.toMatchObject({ name: 'TransactionCanceledException' });
      expect(documents.commandCalls(TransactWriteCommand)).toHaveLength(5);
    });

    it('throws a cancellation for any other reason at once', async () => {
      documents.on(TransactWriteCommand).rejects(cancelled('None', 'ValidationError'));

      await expect(record()).rejects.toMatchObject({ name: 'TransactionCanceledException' });
      expect(documents.commandCalls(TransactWriteCommand)).toHaveLength(1);
    });

    it('throws an error that is no cancellation unchanged', async () => {
      const down = new Error('network down');
      documents.on(TransactWriteCommand).rejects(down);

      await expect(record()).rejects.toBe(down);
      expect(documents.commandCalls(TransactWriteCommand)).toHaveLength(1);
    });
  });
});
