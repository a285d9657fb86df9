import { createHash } from 'node:crypto';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  type MessageAttributeValue,
  SendMessageCommand,
  SetQueueAttributesCommand,
  TagQueueCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQueuesFromDefinitions } from '../../../../local/sqs';
import { queues } from '../../../../contracts/queues';
import { failure, type Harness, startHarness } from './harness';

const md5 = (text: string): string => createHash('md5').update(text, 'utf8').digest('hex');
const text = (value: string): MessageAttributeValue => ({ DataType: 'String', StringValue: value });

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h.close());

describe('local SQS endpoint, JSON protocol', () => {
  describe('messages', () => {
    it('round-trips a message (send, receive, delete) with the body MD5 the SDK checks', async () => {
      const url = await h.queue();
      const body = '{"records":[{"resource_type":"api_calls","usage_amount":3}],"note":"größe ✓ 🚀"}';

      const sent = await h.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body, MessageAttributes: { tenant: text('org-1') } }));
      const [message, ...rest] = await h.receive(url, { MessageSystemAttributeNames: ['All'], MessageAttributeNames: ['All'] });

      expect(rest).toEqual([]);
      expect(sent.MessageId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(sent.MD5OfMessageBody).toBe(md5(body));
      expect(message).toMatchObject({
        MessageId: sent.MessageId,
        Body: body,
        MD5OfBody: md5(body),
        MD5OfMessageAttributes: sent.MD5OfMessageAttributes,
        MessageAttributes: { tenant: text('org-1') },
        Attributes: { ApproximateReceiveCount: '1', SenderId: 'local' },
      });
      expect(Number(message?.Attributes?.SentTimestamp)).toBeLessThanOrEqual(Number(message?.Attributes?.ApproximateFirstReceiveTimestamp));

      await h.client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: message?.ReceiptHandle }));
      expect(await h.receive(url)).toEqual([]);
      expect(await h.attributes(url)).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
    });

    it('computes MD5OfMessageAttributes as Amazon does (digests recorded against AWS)', async () => {
      const url = await h.queue();
      const digest = async (attributes: Record<string, MessageAttributeValue>) =>
        (await h.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'msg', MessageAttributes: attributes }))).MD5OfMessageAttributes;

      expect(await digest({ Foo: text('Bar') })).toBe('ae7155c6026991b6d54b11589678bf9c');
      expect(await digest({ 'Help.Me': text('Me'), Hello: text('There'), General: text('Kenobi') })).toBe('4c360f3fdafd970e05fae2f149d997f5');
      expect(await digest({ attribName1: text('attribValue 1') })).toBe('19e27d4e946b072f3f58da80d94fd778');
      expect(await digest({ customNumberTypeAttrib: { DataType: 'Number.float', StringValue: '4563442423554324324264524243.32543234' } })).toBe(
        '9fe1b90bbd9965bdf77bac517c7d2495',
      );
      expect(await digest({ binaryAttribute: { DataType: 'Binary', BinaryValue: Buffer.from('Hello binary world!') } })).toBe('31a92b15d92f8db860eda32aceb656c3');
    });

    it('returns only the message attributes asked for, with the digest of those', async () => {
      const url = await h.queue();
      await h.client.send(
        new SendMessageCommand({ QueueUrl: url, MessageBody: 'msg', MessageAttributes: { 'Help.Me': text('Me'), Hello: text('There'), General: text('Kenobi') } }),
      );

      const [prefixed] = await h.receive(url, { MessageAttributeNames: ['Hel.*'], VisibilityTimeout: 0 });
      const [none] = await h.receive(url, { VisibilityTimeout: 0 });

      expect(Object.keys(prefixed?.MessageAttributes ?? {}).sort()).toEqual(['Hello', 'Help.Me']);
      expect(prefixed?.MD5OfMessageAttributes).toBe('83fee93c1bcd8b9a5a923ffacdc636c7');
      expect(none).not.toHaveProperty('MessageAttributes');
      expect(none).not.toHaveProperty('Attributes');
    });

    it('refuses an empty body with MissingParameter and characters SQS does not allow with InvalidMessageContents', async () => {
      const url = await h.queue();
      expect(await failure(h.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: '' })))).toMatchObject({
        name: 'MissingParameter',
        message: 'The request must contain the parameter MessageBody.',
      });
      expect(await failure(h.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'bell \u0007' })))).toMatchObject({ name: 'InvalidMessageContents' });
    });
  });

  describe('errors', () => {
    it('answers an unknown queue with QueueDoesNotExist: 400, the smithy __type and the x-amzn-query-error header', async () => {
      const error = await failure(h.client.send(new GetQueueUrlCommand({ QueueName: 'no-such-queue' })));
      expect(error).toMatchObject({ name: 'QueueDoesNotExist', message: 'The specified queue does not exist.', $metadata: { httpStatusCode: 400 } });

      const raw = await fetch(`${h.sqs.endpoint}/`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-amz-json-1.0', 'X-Amz-Target': 'AmazonSQS.GetQueueUrl' },
        body: JSON.stringify({ QueueName: 'no-such-queue' }),
      });
      expect(raw.status).toBe(400);
      expect(raw.headers.get('x-amzn-query-error')).toBe('AWS.SimpleQueueService.NonExistentQueue;Sender');
      expect(raw.headers.get('content-type')).toBe('application/x-amz-json-1.0');
      expect(raw.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
      expect(await raw.json()).toEqual({ __type: 'com.amazonaws.sqs#QueueDoesNotExist', message: 'The specified queue does not exist.' });
    });

    it('refuses actions it does not model with UnsupportedOperation', async () => {
      const url = await h.queue();
      expect(await failure(h.client.send(new TagQueueCommand({ QueueUrl: url, Tags: { team: 'billing' } })))).toMatchObject({ name: 'UnsupportedOperation' });
    });
  });

  describe('queues', () => {
    it('creates a queue again with the same attributes, and refuses different ones with QueueNameExists', async () => {
      const first = await h.queue({ VisibilityTimeout: '5' }, 'same-name');
      expect(await h.queue({ VisibilityTimeout: '5' }, 'same-name')).toBe(first);
      expect(await failure(h.client.send(new CreateQueueCommand({ QueueName: 'same-name', Attributes: { VisibilityTimeout: '6' } })))).toMatchObject({
        name: 'QueueNameExists',
        message: 'A queue already exists with the same name and a different value for attribute VisibilityTimeout',
      });
      expect((await h.client.send(new GetQueueUrlCommand({ QueueName: 'same-name' }))).QueueUrl).toBe(first);
      expect(first).toBe(h.sqs.queueUrl('same-name'));
    });

    it("reports SQS's defaults, the ARN and the counts", async () => {
      const url = await h.queue();
      const attributes = await h.attributes(url);
      expect(attributes).toMatchObject({
        VisibilityTimeout: '30',
        MaximumMessageSize: '1048576',
        MessageRetentionPeriod: '345600',
        DelaySeconds: '0',
        ReceiveMessageWaitTimeSeconds: '0',
        ApproximateNumberOfMessages: '0',
        ApproximateNumberOfMessagesNotVisible: '0',
        ApproximateNumberOfMessagesDelayed: '0',
        QueueArn: `arn:aws:sqs:us-east-1:000000000000:${url.split('/').at(-1) ?? ''}`,
      });
      const some = await h.client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['VisibilityTimeout', 'QueueArn'] }));
      expect(Object.keys(some.Attributes ?? {}).sort()).toEqual(['QueueArn', 'VisibilityTimeout']);
    });

    it('changes attributes and refuses unknown names (FIFO ones too) and values out of range', async () => {
      const url = await h.queue();
      await h.client.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { VisibilityTimeout: '7', MaximumMessageSize: '2048' } }));
      expect(await h.attributes(url)).toMatchObject({ VisibilityTimeout: '7', MaximumMessageSize: '2048' });

      expect(await failure(h.client.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { FifoQueue: 'true' } })))).toMatchObject({
        name: 'InvalidAttributeName',
        message: 'Unknown Attribute FifoQueue.',
      });
      expect(await failure(h.client.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { VisibilityTimeout: '43201' } })))).toMatchObject({
        name: 'InvalidAttributeValue',
      });
      expect(await failure(h.client.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { MaximumMessageSize: '2097152' } })))).toMatchObject({
        name: 'InvalidAttributeValue',
      });
    });

    it('refuses a redrive policy whose dead-letter queue does not exist', async () => {
      const error = await failure(
        h.queue({ RedrivePolicy: JSON.stringify({ deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:missing-dlq', maxReceiveCount: 3 }) }),
      );
      expect(error).toMatchObject({ name: 'InvalidParameterValue' });
      expect(error.message).toContain('Dead letter target does not exist.');
    });

    it('lists queues by prefix, a page at a time', async () => {
      for (const name of ['list-a', 'list-b', 'list-c']) await h.queue({}, name);
      const first = await h.client.send(new ListQueuesCommand({ QueueNamePrefix: 'list-', MaxResults: 2 }));
      const second = await h.client.send(new ListQueuesCommand({ QueueNamePrefix: 'list-', MaxResults: 2, NextToken: first.NextToken }));
      expect(first.QueueUrls).toEqual([h.sqs.queueUrl('list-a'), h.sqs.queueUrl('list-b')]);
      expect(second.QueueUrls).toEqual([h.sqs.queueUrl('list-c')]);
      expect(second.NextToken).toBeUndefined();
    });
  });

  describe('createQueuesFromDefinitions', () => {
    it('creates each queue of contracts/queues.ts with its -dlq and the settings the CDK stack uses, idempotently', async () => {
      const created = await createQueuesFromDefinitions(h.client);
      const again = await createQueuesFromDefinitions(h.client);

      expect(again).toEqual(created);
      expect(created.usage).toEqual({
        url: h.sqs.queueUrl('usage'),
        arn: h.sqs.queueArn('usage'),
        deadLetterUrl: h.sqs.queueUrl('usage-dlq'),
        deadLetterArn: h.sqs.queueArn('usage-dlq'),
      });
      const usage = queues.usage;
      expect(await h.attributes(created.usage.url)).toMatchObject({
        VisibilityTimeout: String(usage.visibilityTimeoutSeconds),
        MessageRetentionPeriod: String(usage.retentionSeconds),
        MaximumMessageSize: String(usage.maximumMessageSizeBytes),
      });
      expect(JSON.parse((await h.attributes(created.usage.url)).RedrivePolicy ?? '{}')).toEqual({
        deadLetterTargetArn: created.usage.deadLetterArn,
        maxReceiveCount: usage.maxReceiveCount,
      });
      expect(await h.attributes(created.usage.deadLetterUrl)).toMatchObject({ MessageRetentionPeriod: String(usage.deadLetterRetentionSeconds) });
    });
  });
});
