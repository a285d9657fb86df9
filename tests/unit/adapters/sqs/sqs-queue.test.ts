import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { batchesOf, SqsQueue } from '../../../../src/adapters/sqs/sqs-queue';

const sqs = mockClient(SQSClient);
beforeEach(() => sqs.reset());

const messages = (n: number, size = 10) => Array.from({ length: n }, (_, i) => ({ id: String(i), body: 'x'.repeat(size) }));

describe('batchesOf', () => {
  it('puts at most 10 entries in a batch', () => {
    expect(batchesOf(messages(25)).map((b) => b.length)).toEqual([10, 10, 5]);
  });
  it('keeps a batch under 1 MiB in total', () => {
    expect(batchesOf(messages(4, 400_000)).map((b) => b.length)).toEqual([2, 2]);
  });
});

describe('SqsQueue', () => {
  describe('sendAll', () => {
    it('sends again only the entries SQS reported as failed', async () => {
      sqs
        .on(SendMessageBatchCommand)
        .resolvesOnce({ Successful: [{ Id: '0', MessageId: 'm0', MD5OfMessageBody: '' }], Failed: [{ Id: '1', Code: 'InternalError', SenderFault: false }] })
        .resolves({ Successful: [{ Id: '1', MessageId: 'm1', MD5OfMessageBody: '' }], Failed: [] });
      await new SqsQueue(new SQSClient({}), 'https://queue').sendAll(messages(2));
      const calls = sqs.commandCalls(SendMessageBatchCommand);
      expect(calls).toHaveLength(2);
      expect(calls[1]?.args[0].input.Entries?.map((e) => e.Id)).toEqual(['1']);
    });

    it('throws instead of reporting records as accepted when SQS keeps failing them', async () => {
      sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [{ Id: '0', Code: 'InternalError', SenderFault: false }] });
      await expect(new SqsQueue(new SQSClient({}), 'https://queue', 3).sendAll(messages(1))).rejects.toMatchObject({ code: 'service_unavailable' });
      expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(3);
    });

    it('sends every message once, with a few batches in flight at once, never more', async () => {
      let inFlight = 0;
      let most = 0;
      sqs.on(SendMessageBatchCommand).callsFake(async (input: { Entries?: { Id?: string }[] }) => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 2));
        inFlight -= 1;
        return { Successful: (input.Entries ?? []).map((e) => ({ Id: e.Id, MessageId: `m${e.Id}`, MD5OfMessageBody: '' })), Failed: [] };
      });
      await new SqsQueue(new SQSClient({}), 'https://queue').sendAll(messages(205));
      const sent = sqs.commandCalls(SendMessageBatchCommand).flatMap((c) => c.args[0].input.Entries?.map((e) => e.Id) ?? []);
      expect(sent.sort()).toEqual(messages(205).map((m) => m.id).sort());
      expect(most).toBe(4);
    });

    it('does not retry entries SQS refused as the sender\'s fault', async () => {
      sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [{ Id: '0', Code: 'InvalidParameterValue', SenderFault: true }] });
      await expect(new SqsQueue(new SQSClient({}), 'https://queue').sendAll(messages(1))).rejects.toMatchObject({ code: 'service_unavailable' });
      expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(1);
    });
  });
});
