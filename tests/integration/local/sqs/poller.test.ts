import { createHash } from 'node:crypto';
import { SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EventSourcePoller, type EventSourcePollerOptions, type Invocation, startEventSourcePoller } from '../../../../local/sqs';
import { settle } from '../../../../local/sqs/batch-response';
import { type Harness, startHarness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h.close());

const sendAll = async (url: string, bodies: string[]): Promise<void> => {
  for (let i = 0; i < bodies.length; i += 10) {
    const entries = bodies.slice(i, i + 10).map((body, n) => ({ Id: `m${i + n}`, MessageBody: body }));
    await h.client.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: entries }));
  }
};

interface Seen {
  readonly at: number;
  readonly records: SQSRecord[];
}

/** Starts a poller whose handler records every event it gets and answers with `respond`. */
const consume = (
  url: string,
  respond: (event: SQSEvent, call: number) => Promise<SQSBatchResponse | void> | SQSBatchResponse | void,
  options: Partial<Omit<EventSourcePollerOptions, 'handler'>> = {},
): { poller: EventSourcePoller; seen: Seen[]; invocations: Invocation[]; bodies: () => string[][] } => {
  const seen: Seen[] = [];
  const invocations: Invocation[] = [];
  const poller = startEventSourcePoller({
    sqsEndpoint: h.sqs.endpoint,
    queueUrl: url,
    batchSize: 10,
    maximumBatchingWindowSeconds: 0,
    reportBatchItemFailures: true,
    ...options,
    onInvocation: (invocation) => invocations.push(invocation),
    handler: async (event) => {
      seen.push({ at: Date.now(), records: event.Records });
      return respond(event, seen.length);
    },
  });
  return { poller, seen, invocations, bodies: () => seen.map((s) => s.records.map((r) => r.body)) };
};

/**
 * Resolves once `check` holds (polled every 10 ms). `timeoutMs` is generous on purpose: it only
 * turns a hang into a failure naming what never happened, it times nothing.
 */
const eventually = async (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`still waiting after ${timeoutMs} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

/** When the local endpoint first handed out this record (its wall clock, epoch ms). */
const firstReceivedAt = (record: SQSRecord | undefined): number => Number(record?.attributes.ApproximateFirstReceiveTimestamp);

/**
 * The poller long-polls for 20 s (LONG_POLL_SECONDS in local/sqs/poller.ts). Anything that must
 * happen "at once" rather than at the end of such a wait is asserted against half of it: far
 * from the behaviour it rules out, far above what a busy machine adds.
 */
const WELL_BEFORE_A_LONG_POLL_ENDS_MS = 10_000;

const failWhere = (event: SQSEvent, predicate: (r: SQSRecord) => boolean): SQSBatchResponse => ({
  batchItemFailures: event.Records.filter(predicate).map((r) => ({ itemIdentifier: r.messageId })),
});

describe('startEventSourcePoller', () => {
  describe.concurrent('batching (each test on its own queue, side by side)', () => {
    it('builds the SQSEvent Lambda sends: records with ids, receipt handles, attributes, digests, source ARN and region', async ({ expect }) => {
      const url = await h.queue();
      const { poller, seen } = consume(url, () => undefined);
      try {
        await sendAll(url, ['{"n":1}']);
        await poller.idle();
      } finally {
        await poller.stop();
      }
      const record = seen[0]?.records[0];
      expect(record).toMatchObject({
        body: '{"n":1}',
        md5OfBody: createHash('md5').update('{"n":1}').digest('hex'),
        eventSource: 'aws:sqs',
        eventSourceARN: (await h.attributes(url)).QueueArn,
        awsRegion: 'us-east-1',
        messageAttributes: {},
        attributes: { ApproximateReceiveCount: '1', SenderId: 'local' },
      });
      expect(record?.messageId).toMatch(/^[0-9a-f-]{36}$/);
      expect(record?.receiptHandle).toBeTruthy();
      expect(Object.keys(record?.attributes ?? {}).sort()).toEqual(['ApproximateFirstReceiveTimestamp', 'ApproximateReceiveCount', 'SenderId', 'SentTimestamp']);
    });

    it('invokes with at most batchSize messages, each message once, and deletes them', async ({ expect }) => {
      const url = await h.queue();
      const { poller, seen } = consume(url, () => undefined, { batchSize: 4, maximumBatchingWindowSeconds: 1 });
      try {
        await sendAll(url, Array.from({ length: 10 }, (_, i) => `m${i}`));
        await poller.idle();
      } finally {
        await poller.stop();
      }
      const sizes = seen.map((s) => s.records.length);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(4);
      expect(sizes[0]).toBe(4);
      expect(seen.flatMap((s) => s.records.map((r) => r.body)).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`).sort());
      expect(await h.attributes(url)).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
    });

    it('waits up to the batching window for more messages, and not when the batch is already full', async ({ expect }) => {
      const windowSeconds = 5;
      const windowed = await h.queue();
      const lonely = consume(windowed, () => undefined, { batchSize: 10, maximumBatchingWindowSeconds: windowSeconds });
      const full = await h.queue();
      // A full batch must not wait for its window: this one is the longest Lambda allows.
      const packed = consume(full, () => undefined, { batchSize: 3, maximumBatchingWindowSeconds: 300 });
      try {
        await sendAll(windowed, ['first']);
        // The poller holds `first` (in flight, not invoked): its window is open, so what arrives now joins the batch.
        await eventually('the poller to receive the first message', async () => (await h.attributes(windowed)).ApproximateNumberOfMessagesNotVisible === '1');
        expect(lonely.seen).toHaveLength(0);
        await sendAll(windowed, ['joiner']);
        await sendAll(full, ['a', 'b', 'c']);
        await Promise.all([lonely.poller.idle(), packed.poller.idle()]);
      } finally {
        await Promise.all([lonely.poller.stop(), packed.poller.stop()]);
      }
      // One invocation with both, though the batch was not full: the window, not the batch size, closed it.
      expect(lonely.bodies()).toEqual([['first', 'joiner']]);
      // The window opens with the first record received and runs its whole length (a lower bound: a busy machine only adds).
      expect((lonely.seen[0]?.at ?? 0) - firstReceivedAt(lonely.seen[0]?.records[0])).toBeGreaterThanOrEqual(windowSeconds * 1000 - 100);
      // Had the full batch waited for its 300 s window, idle() would have given up after 30 s.
      expect(packed.bodies()).toEqual([['a', 'b', 'c']]);
    });

    it('with no batching window invokes as soon as a receive returns messages', async ({ expect }) => {
      const url = await h.queue();
      const { poller, seen, bodies } = consume(url, () => undefined, { batchSize: 10, maximumBatchingWindowSeconds: 0 });
      try {
        await sendAll(url, ['now']);
        await poller.idle();
      } finally {
        await poller.stop();
      }
      // One message in a batch of up to 10, invoked without waiting for more (a long poll for more would take 20 s).
      expect(bodies()).toEqual([['now']]);
      expect((seen[0]?.at ?? Infinity) - firstReceivedAt(seen[0]?.records[0])).toBeLessThan(WELL_BEFORE_A_LONG_POLL_ENDS_MS);
    });

    it('keeps an invocation under the 6 MB Lambda payload limit and passes the rest to the next one', async ({ expect }) => {
      const url = await h.queue();
      // One SendMessage each (a batch may not carry more than 1 MiB), all queued before the
      // poller starts: otherwise its first receive may come while only some are there.
      for (let i = 0; i < 7; i += 1) await h.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: `${i}`.padEnd(1_000_000, 'x') }));
      const { poller, seen } = consume(url, () => undefined, { batchSize: 10, maximumBatchingWindowSeconds: 0 });
      try {
        await poller.idle();
      } finally {
        await poller.stop();
      }
      expect(seen.map((s) => s.records.length)).toEqual([6, 1]);
      expect(seen.every((s) => Buffer.byteLength(JSON.stringify({ Records: s.records })) <= 6 * 1024 * 1024)).toBe(true);
    });

    it('refuses settings Lambda refuses', ({ expect }) => {
      const base = { sqsEndpoint: h.sqs.endpoint, queueUrl: 'x', handler: async () => undefined, reportBatchItemFailures: true };
      expect(() => startEventSourcePoller({ ...base, batchSize: 11, maximumBatchingWindowSeconds: 0 })).toThrow(/at least 1/);
      expect(() => startEventSourcePoller({ ...base, batchSize: 0, maximumBatchingWindowSeconds: 0 })).toThrow(RangeError);
      expect(() => startEventSourcePoller({ ...base, batchSize: 10, maximumBatchingWindowSeconds: 301 })).toThrow(RangeError);
    });
  });

  describe.concurrent('failures (1 s visibility timeouts, run side by side)', () => {
    it('with a partial batch failure deletes the successes and redelivers only the failed message', async ({ expect }) => {
      const url = await h.queue({ VisibilityTimeout: '1' });
      const { poller, seen, invocations } = consume(url, (event, call) => (call === 1 ? failWhere(event, (r) => r.body === 'bad') : undefined));
      try {
        await sendAll(url, ['good-1', 'bad', 'good-2']);
        await poller.idle();
      } finally {
        await poller.stop();
      }
      expect(seen.map((s) => s.records.map((r) => r.body).sort())).toEqual([['bad', 'good-1', 'good-2'], ['bad']]);
      expect(seen[1]?.records[0]?.attributes.ApproximateReceiveCount).toBe('2');
      expect(invocations[0]?.settlement.kind).toBe('partial');
      expect(invocations[0]?.deleted).toHaveLength(2);
    });

    it('redelivers the whole batch when the handler throws', async ({ expect }) => {
      const url = await h.queue({ VisibilityTimeout: '1' });
      const { poller, seen, invocations } = consume(url, (_event, call) => {
        if (call === 1) throw new Error('database unavailable');
      });
      try {
        await sendAll(url, ['a', 'b']);
        await poller.idle();
      } finally {
        await poller.stop();
      }
      expect(seen.map((s) => s.records.map((r) => r.body).sort())).toEqual([
        ['a', 'b'],
        ['a', 'b'],
      ]);
      expect(seen[1]?.records.map((r) => r.attributes.ApproximateReceiveCount)).toEqual(['2', '2']);
      expect(invocations[0]).toMatchObject({ settlement: { kind: 'failure', reason: 'database unavailable' }, deleted: [] });
    });

    it('treats an itemIdentifier that names no message of the batch as a failure of the whole batch', async ({ expect }) => {
      const url = await h.queue({ VisibilityTimeout: '1' });
      const { poller, seen, invocations } = consume(url, (_event, call) => (call === 1 ? { batchItemFailures: [{ itemIdentifier: 'not-in-this-batch' }] } : undefined));
      try {
        await sendAll(url, ['a', 'b']);
        await poller.idle();
      } finally {
        await poller.stop();
      }
      expect(seen).toHaveLength(2);
      expect(seen[1]?.records).toHaveLength(2);
      expect(invocations[0]?.settlement).toEqual({ kind: 'failure', reason: 'itemIdentifier not-in-this-batch is not a message of the batch' });
    });

    it('moves a message that keeps failing to the dead-letter queue after maxReceiveCount receives', async ({ expect }) => {
      const { url, dlqUrl } = await h.queueWithDlq(2, { VisibilityTimeout: '1' });
      const { poller, seen } = consume(url, (event) => failWhere(event, (r) => r.body === 'poison'));
      try {
        await sendAll(url, ['poison', 'fine']);
        await poller.idle();
      } finally {
        await poller.stop();
      }
      const poison = seen.flatMap((s) => s.records).filter((r) => r.body === 'poison');
      expect(poison.map((r) => r.attributes.ApproximateReceiveCount)).toEqual(['1', '2']);
      expect(seen.flatMap((s) => s.records).filter((r) => r.body === 'fine')).toHaveLength(1);
      const [dead] = await h.receive(dlqUrl);
      expect(dead?.Body).toBe('poison');
      expect(dead?.MessageId).toBe(poison[0]?.messageId);
    });

    it('deletes everything for an empty or null batchItemFailures, and ignores reports when ReportBatchItemFailures is off', async ({ expect }) => {
      const url = await h.queue({ VisibilityTimeout: '1' });
      const off = await h.queue({ VisibilityTimeout: '1' });
      const empty = consume(url, () => ({ batchItemFailures: [] }));
      const ignored = consume(off, (event) => failWhere(event, () => true), { reportBatchItemFailures: false });
      try {
        await Promise.all([sendAll(url, ['a']), sendAll(off, ['b'])]);
        await Promise.all([empty.poller.idle(), ignored.poller.idle()]);
      } finally {
        await Promise.all([empty.poller.stop(), ignored.poller.stop()]);
      }
      expect(empty.seen).toHaveLength(1);
      expect(ignored.seen).toHaveLength(1);
      expect(ignored.invocations[0]?.deleted).toHaveLength(1);
    });

    it('never gives two racing pollers the same message while it is invisible', async ({ expect }) => {
      const url = await h.queue({ VisibilityTimeout: '30' });
      const slow = async (): Promise<void> => {
        await new Promise((resolve) => setTimeout(resolve, 20));
      };
      const a = consume(url, slow, { batchSize: 3, concurrency: 2 });
      const b = consume(url, slow, { batchSize: 3, concurrency: 2 });
      const bodies = Array.from({ length: 60 }, (_, i) => `m${i}`);
      try {
        await sendAll(url, bodies);
        await Promise.all([a.poller.idle(), b.poller.idle()]);
      } finally {
        await Promise.all([a.poller.stop(), b.poller.stop()]);
      }
      const records = [...a.seen, ...b.seen].flatMap((s) => s.records);
      expect(records.map((r) => r.body).sort()).toEqual([...bodies].sort());
      expect(new Set(records.map((r) => r.messageId)).size).toBe(60);
      expect(records.every((r) => r.attributes.ApproximateReceiveCount === '1')).toBe(true);
      expect(a.seen.length).toBeGreaterThan(0);
      expect(b.seen.length).toBeGreaterThan(0);
    });
  });
});

describe('EventSourcePoller lifecycle', () => {
  it('stops at once, ending its long poll', async () => {
    const url = await h.queue();
    const { poller, invocations } = consume(url, () => undefined);
    await sendAll(url, ['wake']);
    // Its first invocation settled, the poller's next step is a 20 s long poll on the now empty queue.
    await eventually('the first invocation to be settled', () => invocations.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    await poller.stop();
    // Not at the end of that long poll.
    expect(Date.now() - started).toBeLessThan(WELL_BEFORE_A_LONG_POLL_ENDS_MS);
  });

  it('gives up waiting for idle after timeoutMs, saying what is left', async () => {
    const url = await h.queue({ VisibilityTimeout: '30' });
    const { poller, seen, invocations } = consume(url, () => {
      throw new Error('always');
    });
    try {
      await sendAll(url, ['stuck']);
      // Once the failed invocation is settled the message stays in flight for its 30 s visibility timeout.
      await eventually('the failed invocation to be settled', () => invocations.length === 1);
      await expect(poller.idle({ timeoutMs: 300 })).rejects.toThrow(/not idle after 300 ms \(0 visible, 1 in flight, 0 delayed\)/);
      expect(seen).toHaveLength(1);
    } finally {
      await poller.stop();
    }
  });
});

describe('settle (what Lambda makes of a partial batch response)', () => {
  const ids = new Set(['m1', 'm2']);
  it.each([
    ['nothing', undefined, { kind: 'success' }],
    ['null', null, { kind: 'success' }],
    ['an object without batchItemFailures', {}, { kind: 'success' }],
    ['a null list', { batchItemFailures: null }, { kind: 'success' }],
    ['an empty list', { batchItemFailures: [] }, { kind: 'success' }],
    ['a known id', { batchItemFailures: [{ itemIdentifier: 'm2' }] }, { kind: 'partial', failed: new Set(['m2']) }],
  ])('counts %s as %j', (_name, response, expected) => {
    expect(settle({ threw: false, response }, ids, true)).toEqual(expected);
  });

  it.each([
    ['an empty itemIdentifier', { batchItemFailures: [{ itemIdentifier: '' }] }],
    ['a null itemIdentifier', { batchItemFailures: [{ itemIdentifier: null }] }],
    ['a misspelt key', { batchItemFailures: [{ itemIdentifer: 'm1' }] }],
    ['an unknown id', { batchItemFailures: [{ itemIdentifier: 'm9' }] }],
    ['a list that is not a list', { batchItemFailures: 'm1' }],
    ['a string', 'm1'],
  ])('fails the whole batch for %s', (_name, response) => {
    expect(settle({ threw: false, response }, ids, true).kind).toBe('failure');
  });

  it('fails the whole batch when the handler threw, whatever the setting', () => {
    expect(settle({ threw: true, error: new Error('boom') }, ids, false)).toEqual({ kind: 'failure', reason: 'boom' });
  });
});
