import type { Message } from '@aws-sdk/client-sqs';
import type { Context, SQSMessageAttributes, SQSRecord, SQSRecordAttributes } from 'aws-lambda';

const required = (value: string | undefined, name: string): string => {
  if (value === undefined) throw new Error(`local SQS poller: a received message has no ${name}`);
  return value;
};

/** Lambda lower-cases the first letter of each field and always sends the (unused) list fields. */
const lambdaMessageAttributes = (attributes: Message['MessageAttributes']): SQSMessageAttributes =>
  Object.fromEntries(
    Object.entries(attributes ?? {}).map(([name, v]) => [
      name,
      {
        ...(v.StringValue !== undefined ? { stringValue: v.StringValue } : {}),
        ...(v.BinaryValue !== undefined ? { binaryValue: Buffer.from(v.BinaryValue).toString('base64') } : {}),
        stringListValues: v.StringListValues ?? [],
        binaryListValues: (v.BinaryListValues ?? []).map((b) => Buffer.from(b).toString('base64')),
        dataType: required(v.DataType, `DataType for attribute ${name}`),
      },
    ]),
  );

/** A received message as a record of the event Lambda's SQS event source mapping sends. */
export const toSqsRecord = (message: Message, queueArn: string, region: string): SQSRecord => {
  const a = message.Attributes ?? {};
  const attributes: SQSRecordAttributes = {
    ApproximateReceiveCount: required(a.ApproximateReceiveCount, 'ApproximateReceiveCount'),
    SentTimestamp: required(a.SentTimestamp, 'SentTimestamp'),
    SenderId: required(a.SenderId, 'SenderId'),
    ApproximateFirstReceiveTimestamp: required(a.ApproximateFirstReceiveTimestamp, 'ApproximateFirstReceiveTimestamp'),
    ...(a.AWSTraceHeader !== undefined ? { AWSTraceHeader: a.AWSTraceHeader } : {}),
    ...(a.DeadLetterQueueSourceArn !== undefined ? { DeadLetterQueueSourceArn: a.DeadLetterQueueSourceArn } : {}),
  };
  return {
    messageId: required(message.MessageId, 'MessageId'),
    receiptHandle: required(message.ReceiptHandle, 'ReceiptHandle'),
    body: message.Body ?? '',
    attributes,
    messageAttributes: lambdaMessageAttributes(message.MessageAttributes),
    md5OfBody: required(message.MD5OfBody, 'MD5OfBody'),
    ...(message.MD5OfMessageAttributes !== undefined ? { md5OfMessageAttributes: message.MD5OfMessageAttributes } : {}),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
};

/** A Lambda context for one invocation; the deadline is reported, not enforced. */
export const lambdaContext = (options: { functionName: string; requestId: string; timeoutMs: number; region: string; accountId: string }): Context => {
  const deadline = Date.now() + options.timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: options.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${options.region}:${options.accountId}:function:${options.functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: options.requestId,
    logGroupName: `/aws/lambda/${options.functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
};
