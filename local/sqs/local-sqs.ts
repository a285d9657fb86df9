import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from './constants';
import { Faults, type SendEntry } from './faults';
import { createSqsServer } from './server';
import { FileJournal } from './journal';
import { RequestMeter, type SqsStats } from './stats';
import { SqsStore } from './store';
import { listen } from '../ports';

export interface LocalSqsOptions {
  /** Port to listen on; 0 picks a free one. */
  readonly port: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /**
   * Where message times come from (sent, visibility, delay, retention), epoch milliseconds.
   * Default the wall clock; tests may pass a manual one. Long-poll waits always use the wall clock.
   */
  readonly now?: () => number;
  readonly region?: string;
  readonly accountId?: string;
  /**
   * Keeps queues and messages in `<dataDir>/journal.ndjson`: every call that changes something
   * answers only once its change is fsync'd, so acknowledged work survives kill -9; at start the
   * journal is replayed and messages that were in flight become visible again. Without it the
   * queues live in memory only.
   */
  readonly dataDir?: string;
}

export interface LocalSqs {
  /** `http://127.0.0.1:<port>`: the `endpoint` of an `SQSClient`. */
  readonly endpoint: string;
  readonly port: number;
  readonly region: string;
  readonly accountId: string;
  queueUrl(name: string): string;
  queueArn(name: string): string;
  /** Messages of a queue by state, straight from memory (no request, not counted). */
  counts(queueName: string): { visible: number; inFlight: number; delayed: number };
  /** Requests by action and as SQS bills them (64 KiB units); `idle()` checks are not counted. */
  stats(): SqsStats;
  resetStats(): void;
  /**
   * The next `count` SendMessageBatch entries (that `where` accepts) come back in `Failed` with
   * `InternalError` and `SenderFault: false` instead of being enqueued.
   */
  failNextSendEntries(count: number, where?: (entry: SendEntry) => boolean): void;
  /** The next `count` requests (of `action`, or any) are answered 500 InternalError; the SDK retries those itself. */
  failNextRequests(count: number, action?: string): void;
  clearFaults(): void;
  /** Stops listening; long polls in progress answer empty. */
  close(): Promise<void>;
}

/**
 * Starts an SQS endpoint (in memory, or durable under `dataDir`) that the unmodified
 * `@aws-sdk/client-sqs` (JSON protocol) talks to.
 *
 * It models standard queues: CreateQueue, GetQueueUrl, Get/SetQueueAttributes, ListQueues,
 * ListDeadLetterSourceQueues, PurgeQueue, DeleteQueue, SendMessage(Batch), ReceiveMessage (long
 * polling, visibility override, system and message attribute selection), DeleteMessage(Batch),
 * ChangeMessageVisibility(Batch); SQS's limits and error shapes (10 entries, distinct ids, 1 MiB
 * batch payload, MaximumMessageSize counting attributes), MD5 digests as the SDK checks them,
 * visibility timeouts, receive counts, dead-letter redrive, retention and delays. It does not
 * model FIFO queues, encryption, tags, permissions and policies, message move tasks, the query
 * protocol, or signature checks (any credentials are accepted).
 *
 * @example
 * const sqs = await startLocalSqs({ port: 0 });
 * const client = createLocalSqsClient(sqs.endpoint);
 * const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: 'usage' }));
 */
export const startLocalSqs = async (options: LocalSqsOptions): Promise<LocalSqs> => {
  const host = options.host ?? '127.0.0.1';
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const region = options.region ?? LOCAL_REGION;
  const accountId = options.accountId ?? LOCAL_ACCOUNT_ID;
  let endpoint = '';
  let journal: FileJournal | undefined;
  const store = new SqsStore({
    baseUrl: () => endpoint,
    region,
    accountId,
    now: options.now ?? Date.now,
    ...(options.dataDir ? { journal: { append: (record) => journal?.append(record) } } : {}),
  });
  if (options.dataDir) {
    journal = await FileJournal.open(options.dataDir, {
      apply: (record) => store.apply(record),
      loaded: () => store.releaseInFlight(),
      snapshot: () => store.snapshot(),
    });
  }
  const faults = new Faults();
  const meter = new RequestMeter();
  const closing = new AbortController();
  const server = createSqsServer({
    store,
    faults,
    meter,
    closing: closing.signal,
    ...(journal ? { durable: () => journal.durable() } : {}),
  });
  const port = await listen(server, options.port, host);
  endpoint = `http://${urlHost}:${port}`;

  return {
    endpoint,
    port,
    region,
    accountId,
    queueUrl: (name) => store.urlOf(name),
    queueArn: (name) => store.arnOf(name),
    counts: (name) => {
      const queue = store.byName(name);
      queue.expire(store.now);
      return queue.counts(store.now);
    },
    stats: () => meter.snapshot(),
    resetStats: () => meter.reset(),
    failNextSendEntries: (count, where) => faults.failNextSendEntries(count, where),
    failNextRequests: (count, action) => faults.failNextRequests(count, action),
    clearFaults: () => faults.clear(),
    close: async () => {
      closing.abort();
      // Let the long polls that just ended write their (empty) answers before the sockets go.
      await new Promise<void>((resolve) => setImmediate(resolve));
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      await journal?.close();
    },
  };
};
