import { randomUUID } from 'node:crypto';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { type Settlement, settle } from './batch-response';
import { createLocalSqsClient } from './client';
import { lambdaContext, toSqsRecord } from './lambda-event';
import { INSPECTION_HEADER, LOCAL_ACCOUNT_ID, LOCAL_REGION } from './constants';
import { isRecord } from './params';

export type SqsConsumer = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;

export interface EventSourcePollerOptions {
  readonly sqsEndpoint: string;
  readonly queueUrl: string;
  readonly handler: SqsConsumer;
  /** 1 to 10,000; above 10 the batching window must be at least 1 s, as Lambda requires. */
  readonly batchSize: number;
  /** 0 to 300. */
  readonly maximumBatchingWindowSeconds: number;
  readonly reportBatchItemFailures: boolean;
  /** Concurrent invocations (independent pollers), default 1. */
  readonly concurrency?: number;
  readonly functionName?: string;
  /** What `context.getRemainingTimeInMillis()` counts down from (default 30 s); not enforced. */
  readonly functionTimeoutSeconds?: number;
  /** Told about every invocation once its messages are settled (for logs and tests). */
  readonly onInvocation?: (invocation: Invocation) => void;
}

export interface Invocation {
  readonly requestId: string;
  readonly messageIds: readonly string[];
  readonly settlement: Settlement;
  /** The messages deleted afterwards. */
  readonly deleted: readonly string[];
  /** How long the function ran (what Lambda reports as the invocation's duration). */
  readonly durationMs: number;
}

export interface EventSourcePoller {
  /** Stops polling, waits for invocations in progress and their deletes. */
  stop(): Promise<void>;
  /**
   * Resolves once the queue has no visible, in-flight or delayed message and no invocation is
   * running; rejects after `timeoutMs` (default 30 s) with what is still there.
   */
  idle(options?: { timeoutMs?: number }): Promise<void>;
}

/** Lambda's limit for a synchronous invocation payload, which bounds an SQS batch. */
const MAX_EVENT_BYTES = 6 * 1024 * 1024;
const LONG_POLL_SECONDS = 20;
const RECEIVE_LIMIT = 10;
const IDLE_CHECK_MS = 25;
const RETRY_AFTER_ERROR_MS = 1000;

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener('abort', done);
  });

const validate = (options: EventSourcePollerOptions): void => {
  const { batchSize, maximumBatchingWindowSeconds: window } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) throw new RangeError('batchSize must be an integer from 1 to 10,000');
  if (!Number.isInteger(window) || window < 0 || window > 300) throw new RangeError('maximumBatchingWindowSeconds must be an integer from 0 to 300');
  if (batchSize > 10 && window < 1) throw new RangeError('a batchSize above 10 needs maximumBatchingWindowSeconds of at least 1 (as Lambda requires)');
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError('concurrency must be a positive integer');
};

/** A client whose requests the local endpoint leaves out of its stats (they are not the workload). */
const inspectionClient = (endpoint: string): SQSClient => {
  const client = createLocalSqsClient(endpoint);
  client.middlewareStack.add(
    (next) => async (args) => {
      const request: unknown = args.request;
      if (isRecord(request) && isRecord(request.headers)) request.headers[INSPECTION_HEADER] = '1';
      return next(args);
    },
    { step: 'build', name: 'localSqsInspectionHeader' },
  );
  return client;
};

/**
 * Feeds a queue to a consumer the way Lambda's SQS event source mapping does: long-polls with the
 * real SDK, gathers up to `batchSize` messages within the batching window (and 6 MB), invokes the
 * handler with a real `SQSEvent` and `Context`, then deletes what succeeded. A handler that throws
 * deletes nothing; with ReportBatchItemFailures only the reported failures stay, unless the report
 * is invalid (then nothing is deleted); failed messages come back after the visibility timeout and
 * go to the dead-letter queue after maxReceiveCount receives.
 *
 * @example
 * const poller = startEventSourcePoller({ sqsEndpoint: sqs.endpoint, queueUrl, handler,
 *   batchSize: 10, maximumBatchingWindowSeconds: 1, reportBatchItemFailures: true });
 * await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '...' }));
 * await poller.idle();
 * await poller.stop();
 */
export const startEventSourcePoller = (options: EventSourcePollerOptions): EventSourcePoller => {
  validate(options);
  const client = createLocalSqsClient(options.sqsEndpoint);
  const inspector = inspectionClient(options.sqsEndpoint);
  const stopping = new AbortController();
  const functionName = options.functionName ?? 'local-sqs-consumer';
  const timeoutMs = (options.functionTimeoutSeconds ?? 30) * 1000;
  const windowMs = options.maximumBatchingWindowSeconds * 1000;
  let running = 0;

  let queueArn: string | undefined;
  /** The event's `eventSourceARN`, looked up once (and again after a failed lookup). */
  const arnOfQueue = async (): Promise<string> => {
    if (queueArn) return queueArn;
    const { Attributes } = await inspector.send(new GetQueueAttributesCommand({ QueueUrl: options.queueUrl, AttributeNames: ['QueueArn'] }), {
      abortSignal: stopping.signal,
    });
    if (!Attributes?.QueueArn) throw new Error(`local SQS poller: no QueueArn for ${options.queueUrl}`);
    queueArn = Attributes.QueueArn;
    return queueArn;
  };

  const receive = async (max: number, waitSeconds: number): Promise<Message[]> => {
    const response = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: options.queueUrl,
        MaxNumberOfMessages: Math.min(RECEIVE_LIMIT, max),
        WaitTimeSeconds: waitSeconds,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
      { abortSignal: stopping.signal },
    );
    return response.Messages ?? [];
  };

  /** One poller: `held` are messages received but not yet invoked (over the 6 MB of the last batch). */
  const gather = async (held: SQSRecord[], arn: string): Promise<SQSRecord[]> => {
    const batch: SQSRecord[] = [];
    let bytes = 0;
    let full = false;
    const add = (records: SQSRecord[]): void => {
      for (const record of records) {
        const size = Buffer.byteLength(JSON.stringify(record));
        if (full || (batch.length > 0 && bytes + size > MAX_EVENT_BYTES)) {
          full = true;
          held.push(record);
        } else {
          batch.push(record);
          bytes += size;
        }
      }
      if (batch.length >= options.batchSize) full = true;
    };
    const toRecords = (messages: Message[]): SQSRecord[] => messages.map((m) => toSqsRecord(m, arn, LOCAL_REGION));

    add(held.splice(0));
    if (batch.length === 0) add(toRecords(await receive(options.batchSize, LONG_POLL_SECONDS)));
    if (batch.length === 0 || windowMs === 0) return batch;
    // The window opens with the first record and closes the batch, whatever its size.
    const windowEnd = Date.now() + windowMs;
    while (!full && !stopping.signal.aborted) {
      const wanted = Math.min(RECEIVE_LIMIT, options.batchSize - batch.length);
      const left = windowEnd - Date.now();
      if (left >= 1000) {
        add(toRecords(await receive(wanted, Math.floor(left / 1000))));
      } else if (left > 0) {
        await sleep(left, stopping.signal);
      } else {
        // The window is over: take what is already waiting, without waiting for more.
        const messages = await receive(wanted, 0);
        add(toRecords(messages));
        if (messages.length < wanted) break;
      }
    }
    return batch;
  };

  const deleteAll = async (records: readonly SQSRecord[]): Promise<void> => {
    for (let i = 0; i < records.length; i += RECEIVE_LIMIT) {
      const chunk = records.slice(i, i + RECEIVE_LIMIT);
      const result = await client.send(
        new DeleteMessageBatchCommand({ QueueUrl: options.queueUrl, Entries: chunk.map((r, n) => ({ Id: String(n), ReceiptHandle: r.receiptHandle })) }),
      );
      // A failed delete only means a redelivery later, as in AWS; say so.
      for (const failure of result.Failed ?? []) console.warn('local SQS poller: delete failed', failure);
    }
  };

  const invoke = async (batch: SQSRecord[]): Promise<void> => {
    const requestId = randomUUID();
    const context = lambdaContext({ functionName, requestId, timeoutMs, region: LOCAL_REGION, accountId: LOCAL_ACCOUNT_ID });
    let outcome: Parameters<typeof settle>[0];
    const started = performance.now();
    try {
      outcome = { threw: false, response: await options.handler({ Records: batch }, context) };
    } catch (error) {
      outcome = { threw: true, error };
    }
    const durationMs = performance.now() - started;
    const settlement = settle(outcome, new Set(batch.map((r) => r.messageId)), options.reportBatchItemFailures);
    const toDelete =
      settlement.kind === 'success' ? batch : settlement.kind === 'partial' ? batch.filter((r) => !settlement.failed.has(r.messageId)) : [];
    await deleteAll(toDelete);
    options.onInvocation?.({ requestId, messageIds: batch.map((r) => r.messageId), settlement, deleted: toDelete.map((r) => r.messageId), durationMs });
  };

  const worker = async (): Promise<void> => {
    const held: SQSRecord[] = [];
    while (!stopping.signal.aborted) {
      try {
        const arn = await arnOfQueue();
        const batch = await gather(held, arn);
        if (batch.length === 0) continue;
        running += 1;
        try {
          await invoke(batch);
        } finally {
          running -= 1;
        }
      } catch (error) {
        if (stopping.signal.aborted) break;
        console.error('local SQS poller: polling failed, retrying', error);
        await sleep(RETRY_AFTER_ERROR_MS, stopping.signal);
      }
    }
    // Messages received but never invoked come back after their visibility timeout, as in AWS.
  };

  const workers = Array.from({ length: options.concurrency ?? 1 }, () => worker());

  return {
    stop: async () => {
      stopping.abort();
      await Promise.all(workers);
      client.destroy();
      inspector.destroy();
    },
    idle: async ({ timeoutMs: limit = 30_000 } = {}) => {
      const deadline = Date.now() + limit;
      let last = '';
      for (;;) {
        if (running === 0) {
          const { Attributes: a = {} } = await inspector.send(
            new GetQueueAttributesCommand({
              QueueUrl: options.queueUrl,
              AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
            }),
          );
          last = `${a.ApproximateNumberOfMessages ?? '?'} visible, ${a.ApproximateNumberOfMessagesNotVisible ?? '?'} in flight, ${a.ApproximateNumberOfMessagesDelayed ?? '?'} delayed`;
          const quiet = [a.ApproximateNumberOfMessages, a.ApproximateNumberOfMessagesNotVisible, a.ApproximateNumberOfMessagesDelayed].every((n) => n === '0');
          if (quiet && running === 0) return;
        } else {
          last = `${running} invocation(s) running`;
        }
        if (Date.now() >= deadline) throw new Error(`local SQS poller: ${options.queueUrl} not idle after ${limit} ms (${last})`);
        await sleep(IDLE_CHECK_MS);
      }
    },
  };
};
