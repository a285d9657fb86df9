import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, expectTypeOf, it, vi } from 'vitest';
import { createQueueHandler, receiveCountOf } from '../../../src/queue/handler';

const context = {
  awsRequestId: 'req-1',
  functionName: 'consumer',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:consumer',
  memoryLimitInMB: '128',
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;

const record = (messageId: string, body = '{}', receiveCount = '1'): SQSRecord => ({
  messageId,
  receiptHandle: `rh-${messageId}`,
  body,
  attributes: {
    ApproximateReceiveCount: receiveCount,
    SentTimestamp: '0',
    SenderId: 'sender',
    ApproximateFirstReceiveTimestamp: '0',
  },
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:queue',
  awsRegion: 'us-east-1',
});

const batch = (...ids: string[]): SQSEvent => ({ Records: ids.map((id) => record(id)) });

/** A logger whose error lines the test reads. */
const quietLogger = () => {
  const logger = new Logger({ serviceName: 'queue-test', logLevel: 'SILENT' });
  const error = vi.spyOn(logger, 'error');
  return { logger, error };
};

describe('createQueueHandler', () => {
  describe('a consumer processing records concurrently', () => {
    it('runs up to `concurrency` records at once, the records of one order key one after the other, and reports each failure', async () => {
      // Prepare: each record waits until released; the test watches what runs at once.
      const { logger } = quietLogger();
      const running = new Set<string>();
      let most = 0;
      const log: string[] = [];
      const handler = createQueueHandler(
        {
          concurrency: 3,
          orderKey: (r) => r.body,
          processRecord: async (r) => {
            running.add(r.messageId);
            most = Math.max(most, running.size);
            log.push(`start ${r.messageId}`);
            await new Promise((resolve) => setTimeout(resolve, 5));
            running.delete(r.messageId);
            log.push(`end ${r.messageId}`);
            if (r.messageId === 'a2') throw new Error('refused');
          },
        },
        { logger },
      );
      const records = [record('a1', 'tenant-a'), record('b1', 'tenant-b'), record('a2', 'tenant-a'), record('c1', 'tenant-c'), record('d1', 'tenant-d'), record('a3', 'tenant-a')];

      // Act
      const response = await handler({ Records: records }, context);

      // Assess
      expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'a2' }] });
      expect(most).toBe(3);
      // tenant-a's records ran in batch order, never two at once.
      const a = log.filter((line) => line.endsWith('a1') || line.endsWith('a2') || line.endsWith('a3'));
      expect(a).toEqual(['start a1', 'end a1', 'start a2', 'end a2', 'start a3', 'end a3']);
      expect(log.filter((line) => line.startsWith('end'))).toHaveLength(records.length);
    });
  });

  describe('a consumer processing record by record', () => {
    it('reports the records whose processing threw as batchItemFailures', async () => {
      // Prepare
      const { logger } = quietLogger();
      const handler = createQueueHandler(
        {
          processRecord: async (r) => {
            if (r.messageId !== 'ok') throw new Error(`cannot process ${r.messageId}`);
          },
        },
        { logger },
      );

      // Act
      const response = await handler(batch('bad-1', 'ok', 'bad-2'), context);

      // Assess
      expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'bad-1' }, { itemIdentifier: 'bad-2' }] });
    });

    it('answers no failures when every record is processed', async () => {
      const handler = createQueueHandler({ processRecord: async () => undefined }, { logger: quietLogger().logger });

      const response = await handler(batch('a', 'b'), context);

      expect(response).toEqual({ batchItemFailures: [] });
    });

    it('processes the records one at a time, in order, after a failure too', async () => {
      const seen: string[] = [];
      let running = 0;
      const handler = createQueueHandler(
        {
          processRecord: async (r) => {
            running += 1;
            expect(running).toBe(1);
            await new Promise((resolve) => setTimeout(resolve, 1));
            seen.push(r.messageId);
            running -= 1;
            if (r.messageId === 'b') throw new Error('b fails');
          },
        },
        { logger: quietLogger().logger },
      );

      await handler(batch('a', 'b', 'c'), context);

      expect(seen).toEqual(['a', 'b', 'c']);
    });

    it('logs each failure with its message id and error under the consumer’s message', async () => {
      const { logger, error } = quietLogger();
      const failure = new Error('stripe is down');
      const handler = createQueueHandler(
        {
          processRecord: async () => {
            throw failure;
          },
          failureMessage: 'overage billing failed; will retry',
        },
        { logger },
      );

      await handler(batch('m-1'), context);

      expect(error).toHaveBeenCalledWith('overage billing failed; will retry', { message_id: 'm-1', error: failure });
    });

    it('reports a record that throws something other than an Error', async () => {
      const handler = createQueueHandler(
        {
          processRecord: async () => {
            throw 'not an error';
          },
        },
        { logger: quietLogger().logger },
      );

      const response = await handler(batch('m-1'), context);

      expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-1' }]);
    });

    it('hands every record what prepare built once for the batch', async () => {
      const prepare = vi.fn(async () => ({ client: 'built' }));
      const given: string[] = [];
      const handler = createQueueHandler(
        {
          prepare,
          processRecord: async (r, prepared) => {
            given.push(`${r.messageId}:${prepared.client}`);
          },
        },
        { logger: quietLogger().logger },
      );

      await handler(batch('a', 'b'), context);

      expect(prepare).toHaveBeenCalledTimes(1);
      expect(given).toEqual(['a:built', 'b:built']);
    });

    it('fails the whole invocation, acknowledging nothing, when prepare throws', async () => {
      const processRecord = vi.fn(async () => undefined);
      const handler = createQueueHandler(
        {
          prepare: async () => {
            throw new Error('no Stripe keys');
          },
          processRecord,
        },
        { logger: quietLogger().logger },
      );

      await expect(handler(batch('a', 'b'), context)).rejects.toThrow('no Stripe keys');
      expect(processRecord).not.toHaveBeenCalled();
    });
  });

  describe('a consumer processing the batch at once', () => {
    it('reports the message ids the consumer names as failed', async () => {
      const processBatch = vi.fn(async (records: readonly SQSRecord[]) => records.filter((r) => r.messageId.startsWith('x')).map((r) => r.messageId));
      const handler = createQueueHandler({ processBatch }, { logger: quietLogger().logger });

      const response = await handler(batch('x1', 'ok', 'x2'), context);

      expect(processBatch).toHaveBeenCalledTimes(1);
      expect(processBatch.mock.calls[0]?.[0].map((r) => r.messageId)).toEqual(['x1', 'ok', 'x2']);
      expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'x1' }, { itemIdentifier: 'x2' }] });
    });

    it('fails the whole invocation, acknowledging nothing, when the consumer throws', async () => {
      const handler = createQueueHandler(
        {
          processBatch: async () => {
            throw new Error('table unreachable');
          },
        },
        { logger: quietLogger().logger },
      );

      await expect(handler(batch('a', 'b'), context)).rejects.toThrow('table unreachable');
    });
  });

  it('is a Lambda handler from an SQS event to a partial batch response', () => {
    const handler = createQueueHandler({ processRecord: async () => undefined });

    expectTypeOf(handler).parameter(0).toEqualTypeOf<SQSEvent>();
    expectTypeOf(handler).returns.resolves.toEqualTypeOf<SQSBatchResponse>();
  });
});

describe('receiveCountOf', () => {
  it('reads ApproximateReceiveCount', () => {
    expect(receiveCountOf(record('m', '{}', '3'))).toBe(3);
  });

  it('counts a missing or unreadable count as the first delivery', () => {
    expect(receiveCountOf(record('m', '{}', ''))).toBe(1);
    expect(receiveCountOf(record('m', '{}', '0'))).toBe(1);
  });
});
