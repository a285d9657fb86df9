import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  SendMessageBatchCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, type Harness, startHarness } from './harness';

const MIB = 1_048_576;
const entries = (count: number, body = 'x'): SendMessageBatchRequestEntry[] => Array.from({ length: count }, (_, i) => ({ Id: `e${i}`, MessageBody: body }));
/** `k` + `String` + `x`: what one small attribute adds to a message's size. */
const ATTRIBUTE = { k: { DataType: 'String', StringValue: 'x' } };
const ATTRIBUTE_BYTES = 'k'.length + 'String'.length + 'x'.length;

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h.close());

describe('local SQS endpoint, limits', () => {
  describe('SendMessageBatch', () => {
    it('refuses 11 entries with TooManyEntriesInBatchRequest', async () => {
      const url = await h.queue();
      expect(await failure(h.client.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: entries(11) })))).toMatchObject({
        name: 'TooManyEntriesInBatchRequest',
        message: 'Maximum number of entries per request are 10. You have sent 11.',
        $metadata: { httpStatusCode: 400 },
      });
      expect(await h.receive(url)).toEqual([]);
    });

    it('refuses repeated entry ids with BatchEntryIdsNotDistinct, bad ones with InvalidBatchEntryId, none with EmptyBatchRequest', async () => {
      const url = await h.queue();
      const send = (list: SendMessageBatchRequestEntry[]) => h.client.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: list }));

      expect(await failure(send([{ Id: 'a', MessageBody: '1' }, { Id: 'a', MessageBody: '2' }]))).toMatchObject({ name: 'BatchEntryIdsNotDistinct', message: 'Id a repeated.' });
      expect(await failure(send([{ Id: 'has:colon', MessageBody: '1' }]))).toMatchObject({ name: 'InvalidBatchEntryId' });
      expect(await failure(send([{ Id: 'x'.repeat(81), MessageBody: '1' }]))).toMatchObject({ name: 'InvalidBatchEntryId' });
      expect(await failure(send([]))).toMatchObject({ name: 'EmptyBatchRequest' });
      expect(await h.receive(url)).toEqual([]);
    });

    it("fails an entry over the queue's MaximumMessageSize alone, in Failed with SenderFault", async () => {
      const url = await h.queue({ MaximumMessageSize: '1024' });
      const result = await h.client.send(
        new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: 'fits', MessageBody: 'a'.repeat(1024) }, { Id: 'big', MessageBody: 'a'.repeat(1025) }] }),
      );
      expect(result.Successful?.map((e) => e.Id)).toEqual(['fits']);
      expect(result.Failed).toEqual([
        { Id: 'big', SenderFault: true, Code: 'InvalidParameterValue', Message: 'One or more parameters cannot be validated. Reason: Message must be shorter than 1024 bytes.' },
      ]);
    });

    it('refuses a batch whose messages, attributes included, pass 1 MiB with BatchRequestTooLong', async () => {
      const url = await h.queue();
      const atLimit = { Id: 'big', MessageBody: 'a'.repeat(MIB - ATTRIBUTE_BYTES), MessageAttributes: ATTRIBUTE };

      expect(await failure(h.client.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [atLimit, { Id: 'one', MessageBody: 'a' }] })))).toMatchObject({
        name: 'BatchRequestTooLong',
        message: 'Batch requests cannot be longer than 1048576 bytes. You have sent 1048577 bytes.',
      });
      const ok = await h.client.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [atLimit] }));
      expect(ok.Successful).toHaveLength(1);
      expect(ok.Failed).toBeUndefined();
    });

    it('reports the digests of each enqueued entry', async () => {
      const url = await h.queue();
      const result = await h.client.send(
        new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: 'a', MessageBody: 'hello', MessageAttributes: { Foo: { DataType: 'String', StringValue: 'Bar' } } }, { Id: 'b', MessageBody: 'world' }] }),
      );
      expect(result.Successful).toEqual([
        expect.objectContaining({ Id: 'a', MD5OfMessageBody: '5d41402abc4b2a76b9719d911017c592', MD5OfMessageAttributes: 'ae7155c6026991b6d54b11589678bf9c' }),
        expect.objectContaining({ Id: 'b', MD5OfMessageBody: '7d793037a0760186574b0282f2f435e7' }),
      ]);
      expect(result.Successful?.[1]).not.toHaveProperty('MD5OfMessageAttributes');
    });
  });

  describe('SendMessage', () => {
    it("refuses a message over the queue's MaximumMessageSize, attributes counted, with InvalidParameterValue", async () => {
      const url = await h.queue({ MaximumMessageSize: '1024' });
      await h.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'a'.repeat(1024 - ATTRIBUTE_BYTES), MessageAttributes: ATTRIBUTE }));

      const error = await failure(
        h.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'a'.repeat(1024 - ATTRIBUTE_BYTES + 1), MessageAttributes: ATTRIBUTE })),
      );
      expect(error).toMatchObject({
        name: 'InvalidParameterValue',
        message: 'One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes.',
        $metadata: { httpStatusCode: 400 },
      });
    });

    it('takes messages up to 1 MiB on a queue that allows them (the default now)', async () => {
      const url = await h.queue();
      await h.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'a'.repeat(MIB) }));
      expect(await failure(h.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'a'.repeat(MIB + 1) })))).toMatchObject({
        name: 'InvalidParameterValue',
      });
    });
  });

  describe('ReceiveMessage', () => {
    it('refuses MaxNumberOfMessages outside 1..10 and WaitTimeSeconds over 20', async () => {
      const url = await h.queue();
      expect(await failure(h.receive(url, { MaxNumberOfMessages: 11 }))).toMatchObject({
        name: 'InvalidParameterValue',
        message: 'Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.',
      });
      expect(await failure(h.receive(url, { WaitTimeSeconds: 21 }))).toMatchObject({
        name: 'InvalidParameterValue',
        message: 'Value 21 for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.',
      });
    });
  });

  describe('DeleteMessageBatch and ChangeMessageVisibilityBatch', () => {
    it('apply the same batch rules and fail a bad receipt handle per entry', async () => {
      const url = await h.queue();
      await h.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'm' }));
      const [message] = await h.receive(url);
      const tooMany = Array.from({ length: 11 }, (_, i) => ({ Id: `d${i}`, ReceiptHandle: 'x' }));

      expect(await failure(h.client.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: tooMany })))).toMatchObject({ name: 'TooManyEntriesInBatchRequest' });
      expect(
        await failure(h.client.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: url, Entries: tooMany.map((e) => ({ ...e, VisibilityTimeout: 1 })) }))),
      ).toMatchObject({ name: 'TooManyEntriesInBatchRequest' });

      const result = await h.client.send(
        new DeleteMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: 'good', ReceiptHandle: message?.ReceiptHandle }, { Id: 'bad', ReceiptHandle: 'garbage' }] }),
      );
      expect(result.Successful).toEqual([{ Id: 'good' }]);
      expect(result.Failed).toEqual([
        { Id: 'bad', SenderFault: true, Code: 'ReceiptHandleIsInvalid', Message: 'The input receipt handle "garbage" is not a valid receipt handle.' },
      ]);
      expect(await h.attributes(url)).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
    });
  });
});
