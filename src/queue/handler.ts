import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy, { type MiddyfiedHandler } from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { logger as platformLogger } from '../platform/logger';
import { publishMetrics } from '../platform/metrics';

/**
 * A consumer that settles the whole batch itself (the usage aggregator commits a batch per
 * tenant) and names the messages SQS must redeliver.
 */
export interface BatchConsumer {
  /** Returns the `messageId`s that failed. A throw fails the invocation: every message is redelivered. */
  readonly processBatch: (records: readonly SQSRecord[]) => Promise<readonly string[]>;
}

interface EachRecord {
  /** Logged (with `message_id` and `error`) for each record whose processing threw. */
  readonly failureMessage?: string;
  /**
   * Records processed at once (default 1: one at a time, in order). Records with the same
   * `orderKey` are still processed one after the other, in batch order.
   */
  readonly concurrency?: number;
  /** What must not run concurrently with itself (e.g. the tenant); each record its own by default. */
  readonly orderKey?: (record: SQSRecord) => string;
}

/**
 * A consumer that handles its records one at a time, in order (or `concurrency` at a time); a
 * record whose processing throws is logged and redelivered, the others are acknowledged.
 */
export interface RecordConsumer extends EachRecord {
  readonly prepare?: never;
  readonly processRecord: (record: SQSRecord) => Promise<void>;
}

/**
 * A {@link RecordConsumer} that needs something built once per batch (a client, a use case)
 * before its first record. When `prepare` throws, no record is attempted and the invocation
 * fails, so SQS redelivers every message: a setup fault is not the records' fault.
 */
export interface PreparedRecordConsumer<P> extends EachRecord {
  readonly prepare: () => Promise<P>;
  readonly processRecord: (record: SQSRecord, prepared: P) => Promise<void>;
}

export type QueueConsumer<P> = BatchConsumer | RecordConsumer | PreparedRecordConsumer<P>;

export interface QueueHandlerOptions {
  /** The logger whose Lambda context is injected per invocation; the platform logger by default. */
  readonly logger?: Logger;
}

export type QueueHandler = MiddyfiedHandler<SQSEvent, SQSBatchResponse, Error, Context>;

/** One signature per consumer shape, so a consumer's callbacks get their parameter types. */
export interface CreateQueueHandler {
  (consumer: BatchConsumer | RecordConsumer, options?: QueueHandlerOptions): QueueHandler;
  <P>(consumer: PreparedRecordConsumer<P>, options?: QueueHandlerOptions): QueueHandler;
}

const DEFAULT_FAILURE_MESSAGE = 'queue message failed; it will be redelivered';

const eachRecord = async (
  records: readonly SQSRecord[],
  run: (record: SQSRecord) => Promise<void>,
  options: EachRecord,
  logger: Logger,
): Promise<string[]> => {
  const failureMessage = options.failureMessage ?? DEFAULT_FAILURE_MESSAGE;
  const failed = new Set<string>();
  // Records that must keep their order form one chain; chains run `concurrency` at a time.
  const chains = new Map<string, SQSRecord[]>();
  for (const record of records) {
    const key = options.orderKey?.(record) ?? record.messageId;
    chains.set(key, [...(chains.get(key) ?? []), record]);
  }
  const pending = [...chains.values()];
  const worker = async (): Promise<void> => {
    for (let chain = pending.shift(); chain !== undefined; chain = pending.shift()) {
      for (const record of chain) {
        try {
          await run(record);
        } catch (error) {
          logger.error(failureMessage, { message_id: record.messageId, error });
          failed.add(record.messageId);
        }
      }
    }
  };
  const workers = Math.max(1, Math.min(options.concurrency ?? 1, pending.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return records.filter((r) => failed.has(r.messageId)).map((r) => r.messageId);
};

const settle = async <P>(consumer: QueueConsumer<P>, records: readonly SQSRecord[], logger: Logger): Promise<readonly string[]> => {
  if ('processBatch' in consumer) return consumer.processBatch(records);
  if (consumer.prepare === undefined) return eachRecord(records, consumer.processRecord, consumer, logger);
  const prepared = await consumer.prepare();
  return eachRecord(records, (record) => consumer.processRecord(record, prepared), consumer, logger);
};

/**
 * The one Lambda handler shape of an SQS consumer whose event source mapping reports batch item
 * failures: the logger's Lambda context, metrics flushed per invocation, and the consumer's
 * failures answered as `batchItemFailures`, so only those messages come back (then go to the
 * dead-letter queue after maxReceiveCount). Nothing is swallowed: a record that throws is
 * reported, and a throw outside any one record (a batch consumer's, or `prepare`'s) fails the
 * whole invocation, so SQS redelivers the whole batch.
 *
 * @example
 * // Record by record, with a use case built once per batch:
 * export const handler = createQueueHandler({
 *   prepare: () => root().overageBiller(),
 *   processRecord: async (record, biller) => {
 *     const work = workSchema.parse(JSON.parse(record.body));
 *     await biller.billPeriod(work.tenant_id, work.period_start);
 *   },
 *   failureMessage: 'overage billing failed; will retry',
 * });
 * @example
 * // A whole batch at once:
 * export const handler = createQueueHandler({
 *   processBatch: (records) => root().usageAggregator().processBatch(records),
 * });
 */
export const createQueueHandler: CreateQueueHandler = <P>(consumer: QueueConsumer<P>, options: QueueHandlerOptions = {}): QueueHandler => {
  const logger = options.logger ?? platformLogger;
  return middy<SQSEvent, SQSBatchResponse>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(publishMetrics())
    .handler(async (event) => {
      const failed = await settle(consumer, event.Records, logger);
      return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
    });
};

/**
 * How many times SQS has handed this message out, this delivery included (at least 1), from its
 * `ApproximateReceiveCount` attribute.
 * @example receiveCountOf(record) // 3 on the third delivery
 */
export const receiveCountOf = (record: SQSRecord): number =>
  Math.max(1, Number.parseInt(record.attributes.ApproximateReceiveCount, 10) || 1);
