import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { createLocalSqsClient, type LocalSqs, startLocalSqs } from '../../../../local/sqs';
import { FileJournal } from '../../../../local/sqs/journal';
import { SqsStore } from '../../../../local/sqs/store';
import { ManualClock } from './harness';

/**
 * The local SQS endpoint with a data directory keeps what it acknowledged. A "crash" here is a
 * second endpoint started on the same directory while the first still runs and is never closed:
 * it sees only what the first had made durable before answering.
 */
describe('local SQS with a data directory', () => {
  const dirs: string[] = [];
  const running: { sqs: LocalSqs; client: SQSClient }[] = [];
  afterEach(async () => {
    for (const r of running.splice(0)) {
      r.client.destroy();
      await r.sqs.close();
    }
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  const start = async (dataDir: string, clock: ManualClock) => {
    const sqs = await startLocalSqs({ port: 0, dataDir, now: clock.now });
    const client = createLocalSqsClient(sqs.endpoint, { maxAttempts: 1 });
    running.push({ sqs, client });
    return { sqs, client };
  };
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'local-sqs-'));
    dirs.push(dir);
    return dir;
  };
  const receive = async (client: SQSClient, url: string, visibility?: number): Promise<Message[]> =>
    (
      await client.send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          MaxNumberOfMessages: 10,
          MessageSystemAttributeNames: ['All'],
          MessageAttributeNames: ['All'],
          ...(visibility === undefined ? {} : { VisibilityTimeout: visibility }),
        }),
      )
    ).Messages ?? [];
  const attributes = async (client: SQSClient, url: string) =>
    (await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }))).Attributes ?? {};

  it('keeps acknowledged sends, deletes, receive counts, visibility changes and dead letters across a crash', async () => {
    const dir = tempDir();
    const clock = new ManualClock();
    const first = await start(dir, clock);
    const dlq = (await first.client.send(new CreateQueueCommand({ QueueName: 'work-dlq' }))).QueueUrl ?? '';
    const dlqArn = (await attributes(first.client, dlq)).QueueArn ?? '';
    const url =
      (
        await first.client.send(
          new CreateQueueCommand({
            QueueName: 'work',
            Attributes: { VisibilityTimeout: '30', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }) },
          }),
        )
      ).QueueUrl ?? '';
    const sent = await first.client.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: ['a', 'b', 'c', 'd', 'e'].map((body) => ({
          Id: body,
          MessageBody: `body ${body}`,
          MessageAttributes: {
            kind: { DataType: 'String', StringValue: body },
            raw: { DataType: 'Binary', BinaryValue: Buffer.from([1, 2, 3]) },
          },
        })),
      }),
    );
    expect(sent.Successful).toHaveLength(5);
    await first.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'later', DelaySeconds: 600 }));

    // a: received and deleted. b and d: received twice (visibility set to 0 in between), then moved
    // to the DLQ by the next receive. c: received, still in flight at the crash. e: received, then
    // hidden for 5 minutes by its consumer (a retry backoff).
    const firstReceive = await receive(first.client, url);
    const byBody = new Map(firstReceive.map((m) => [m.Body, m]));
    expect([...byBody.keys()].sort()).toEqual(['body a', 'body b', 'body c', 'body d', 'body e']);
    await first.client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: byBody.get('body a')?.ReceiptHandle }));
    await first.client.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: byBody.get('body b')?.ReceiptHandle, VisibilityTimeout: 0 }));
    await first.client.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: byBody.get('body d')?.ReceiptHandle, VisibilityTimeout: 0 }));
    await first.client.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: byBody.get('body e')?.ReceiptHandle, VisibilityTimeout: 300 }));
    const again = await receive(first.client, url);
    expect(again.map((m) => m.Body).sort()).toEqual(['body b', 'body d']);
    for (const m of again) await first.client.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 }));
    clock.advance(1_000);
    // b and d were received twice (maxReceiveCount): this receive moves them to the DLQ instead.
    expect(await receive(first.client, url, 300)).toEqual([]);

    // The crash: a second endpoint reads the directory; the first is never closed.
    clock.advance(1_000);
    const second = await start(dir, clock);
    const after = await attributes(second.client, url);
    expect(after.VisibilityTimeout).toBe('30');
    expect(JSON.parse(after.RedrivePolicy ?? '{}')).toEqual({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 });
    // c was in flight: visible again now, as its timeout would have made it. e stays hidden until
    // the time its consumer chose; the delayed one is still delayed.
    expect(after.ApproximateNumberOfMessages).toBe('1');
    expect(after.ApproximateNumberOfMessagesNotVisible).toBe('1');
    expect(after.ApproximateNumberOfMessagesDelayed).toBe('1');
    const [c, ...rest] = await receive(second.client, url);
    expect(rest).toEqual([]);
    expect(c?.Body).toBe('body c');
    expect(c?.MessageId).toBe(byBody.get('body c')?.MessageId);
    expect(c?.Attributes?.ApproximateReceiveCount).toBe('2');
    expect(c?.MessageAttributes?.kind?.StringValue).toBe('c');
    expect(Buffer.from(c?.MessageAttributes?.raw?.BinaryValue ?? []).toString('hex')).toBe('010203');
    expect(c?.MD5OfMessageAttributes).toBe(byBody.get('body c')?.MD5OfMessageAttributes);
    // b and d went to the dead-letter queue with their receive counts and source.
    const dead = await receive(second.client, dlq);
    const source = after.QueueArn;
    expect(dead.map((m) => [m.Body, m.Attributes?.ApproximateReceiveCount, m.Attributes?.DeadLetterQueueSourceArn]).sort()).toEqual([
      ['body b', '3', source],
      ['body d', '3', source],
    ]);
    // A receipt handle from before the crash acts on nothing.
    await second.client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: byBody.get('body c')?.ReceiptHandle }));
    clock.advance(600_000);
    // e is back after its 5 minutes; c came back after its timeout, but it was received twice
    // already (once before the crash): the DLQ takes it.
    expect((await receive(second.client, url, 0)).map((m) => m.Body).sort()).toEqual(['body e', 'later']);
    expect((await receive(second.client, dlq)).map((m) => m.Body).sort()).toEqual(['body b', 'body c', 'body d']);
  });

  it('ignores a last line torn by the crash, and compacts the journal at start', async () => {
    const dir = tempDir();
    const clock = new ManualClock();
    const first = await start(dir, clock);
    const url = (await first.client.send(new CreateQueueCommand({ QueueName: 'q' }))).QueueUrl ?? '';
    for (let i = 0; i < 20; i += 1) await first.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: `m${i}`.repeat(500) }));
    for (const m of await receive(first.client, url)) await first.client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
    const journal = join(dir, 'journal.ndjson');
    const before = statSync(journal).size;
    // Half a record, as a kill mid-write leaves it (never acknowledged).
    appendFileSync(journal, '{"op":"msg","q":"q","id":"torn","bo');

    const second = await start(dir, clock);
    const left = await attributes(second.client, url);
    expect(left.ApproximateNumberOfMessages).toBe('10');
    // Compacted: the queue and its 10 live messages, none of the deleted ones or their receives.
    expect(statSync(journal).size).toBeLessThan(before * 0.7);
    expect(readFileSync(journal, 'utf8').split('\n').filter(Boolean)).toHaveLength(11);
    // And it keeps appending after compaction: a third start sees what the second acknowledged.
    await second.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'after compaction' }));
    const third = await start(dir, clock);
    expect((await attributes(third.client, url)).ApproximateNumberOfMessages).toBe('11');
  });

  it('compacts the journal while running once enough was appended, losing nothing', async () => {
    const dir = tempDir();
    const clock = new ManualClock();
    const open = async () => {
      let journal: FileJournal | undefined;
      const store = new SqsStore({
        baseUrl: () => 'http://127.0.0.1:1',
        region: 'us-east-1',
        accountId: '000000000000',
        now: clock.now,
        journal: { append: (record) => journal?.append(record) },
      });
      journal = await FileJournal.open(
        dir,
        { apply: (r) => store.apply(r), loaded: () => store.releaseInFlight(), snapshot: () => store.snapshot() },
        { compactAfterBytes: 20_000 },
      );
      return { store, journal };
    };
    const { store, journal } = await open();
    const queue = store.create('q', {});
    const draft = (body: string) => ({ body, attributes: {}, systemAttributes: {}, size: body.length, delaySeconds: undefined, senderId: 'test' });
    for (let i = 0; i < 200; i += 1) {
      store.send(queue, draft(`message ${i} `.repeat(20)));
      if (i % 10 === 9) {
        // Nine of every ten messages are received and deleted.
        for (const m of store.receive(queue, 9, 30)) if (m.receipt) store.deleteMessage(queue, m.receipt);
        await journal.durable();
      }
    }
    await journal.durable();
    // 200 sends of ~260 bytes and 180 receives and deletes went through; the file holds about the 20 live messages.
    expect(statSync(join(dir, 'journal.ndjson')).size).toBeLessThan(20_000 + 20 * 400);
    const reopened = await open();
    expect(reopened.store.byName('q').messages.size).toBe(20);
    expect([...reopened.store.byName('q').messages.values()].map((m) => m.body)).toEqual([...queue.messages.values()].map((m) => m.body));
    await journal.close();
    await reopened.journal.close();
  });
});
