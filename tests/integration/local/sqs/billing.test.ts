import { SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { billedUnits } from '../../../../local/sqs';
import { failure, type Harness, startHarness } from './harness';

const KIB = 1024;

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => h.close());

describe('local SQS endpoint, request stats', () => {
  it('counts requests by action and bills each started 64 KiB of message payload as one request', async () => {
    const url = await h.queue();
    h.sqs.resetStats();

    await h.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'a'.repeat(64 * KIB) }));
    await h.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'a'.repeat(64 * KIB + 1) }));
    await h.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'a'.repeat(256 * KIB) }));
    await h.client.send(
      new SendMessageBatchCommand({ QueueUrl: url, Entries: Array.from({ length: 10 }, (_, i) => ({ Id: `e${i}`, MessageBody: 'a'.repeat(10 * KIB) })) }),
    );
    await h.receive(url, { MaxNumberOfMessages: 1 });
    await h.receive(await h.queue(), { WaitTimeSeconds: 0 });

    const stats = h.sqs.stats();
    expect(stats.requests).toEqual({ SendMessage: 3, SendMessageBatch: 1, ReceiveMessage: 2, CreateQueue: 1 });
    // 1 + 2 + 4 sends; 100 KiB in one batch is 2; a 64 KiB receive 1, an empty receive 1.
    expect(stats.billedRequests).toEqual({ SendMessage: 7, SendMessageBatch: 2, ReceiveMessage: 2, CreateQueue: 1 });
    expect(stats.totalRequests).toBe(7);
    expect(stats.totalBilledRequests).toBe(12);
    expect([billedUnits(0), billedUnits(65_536), billedUnits(65_537), billedUnits(1_048_576)]).toEqual([1, 1, 2, 16]);
  });
});

describe('local SQS endpoint, injected failures', () => {
  it('reports the next n batch entries in Failed as InternalError with SenderFault false, and enqueues the rest', async () => {
    const url = await h.queue();
    h.sqs.failNextSendEntries(2);

    const result = await h.client.send(
      new SendMessageBatchCommand({ QueueUrl: url, Entries: ['a', 'b', 'c'].map((id) => ({ Id: id, MessageBody: `body-${id}` })) }),
    );
    const retry = await h.client.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: 'a', MessageBody: 'body-a' }, { Id: 'b', MessageBody: 'body-b' }] }));

    expect(result.Successful?.map((e) => e.Id)).toEqual(['c']);
    expect(result.Failed).toEqual([
      { Id: 'a', SenderFault: false, Code: 'InternalError', Message: 'We encountered an internal error. Please try again.' },
      { Id: 'b', SenderFault: false, Code: 'InternalError', Message: 'We encountered an internal error. Please try again.' },
    ]);
    expect(retry.Failed).toBeUndefined();
    expect((await h.receive(url)).map((m) => m.Body).sort()).toEqual(['body-a', 'body-b', 'body-c']);
  });

  it('fails only the entries a predicate picks', async () => {
    const url = await h.queue();
    h.sqs.failNextSendEntries(1, (entry) => entry.body.includes('flaky'));

    const result = await h.client.send(
      new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: 'ok', MessageBody: 'fine' }, { Id: 'bad', MessageBody: 'flaky one' }] }),
    );

    expect(result.Successful?.map((e) => e.Id)).toEqual(['ok']);
    expect(result.Failed?.map((e) => e.Id)).toEqual(['bad']);
  });

  it('answers the next requests with a 500, which the SDK retries on its own', async () => {
    const url = await h.queue();
    h.sqs.failNextRequests(1, 'SendMessage');
    expect(await failure(h.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'm' })))).toMatchObject({
      name: 'InternalError',
      $metadata: { httpStatusCode: 500 },
    });

    const retrying = await startHarness({ maxAttempts: 3 });
    try {
      const other = await retrying.queue();
      retrying.sqs.failNextRequests(2, 'SendMessage');
      const sent = await retrying.client.send(new SendMessageCommand({ QueueUrl: other, MessageBody: 'm' }));
      expect(sent.$metadata.attempts).toBe(3);
      expect(retrying.sqs.stats().requests.SendMessage).toBe(3);
    } finally {
      await retrying.close();
    }
  });
});
