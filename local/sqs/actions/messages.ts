import { batchRequestTooLong, internalError, invalidMessageContents, invalidParameter, invalidParameterValue, missingParameter, type SqsApiError } from '../errors';
import {
  type Attributes,
  attributesSize,
  attributesToWire,
  md5Hex,
  md5OfAttributes,
  parseAttributes,
  selectAttributes,
} from '../message-attributes';
import { type Input, int, isRecord, str, strings } from '../params';
import type { MessageDraft, Queue, StoredMessage } from '../store';
import { batchEntries, perEntry } from './batch';
import type { Action } from './context';

/** SendMessageBatch's payload limit, the same as the largest message SQS accepts. */
export const MAX_BATCH_BYTES = 1_048_576;
/** Long polls recheck at least this often, so a clock that is not the wall clock still gets noticed. */
const RECHECK_MS = 250;

const VALID_TEXT = /^[\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;

const validText = (attributes: Attributes): boolean => Object.values(attributes).every((a) => a.stringValue === undefined || VALID_TEXT.test(a.stringValue));

/** A message from SendMessage or a batch entry, checked as SQS checks it (size apart). */
const readDraft = (input: Input, senderId: string): MessageDraft => {
  const body = str(input, 'MessageBody', true);
  const attributes = parseAttributes(input.MessageAttributes);
  if (!VALID_TEXT.test(body) || !validText(attributes)) throw invalidMessageContents();
  const dedupId = str(input, 'MessageDeduplicationId');
  if (dedupId !== undefined) throw invalidParameter('MessageDeduplicationId', dedupId, 'The request include parameter that is not valid for this queue type.');
  // MessageGroupId is accepted on standard queues (fair queues) and has no effect here.
  return {
    body,
    attributes,
    systemAttributes: parseAttributes(input.MessageSystemAttributes, { system: true }),
    // System attributes (AWSTraceHeader) do not count towards the message size.
    size: Buffer.byteLength(body, 'utf8') + attributesSize(attributes),
    delaySeconds: int(input, 'DelaySeconds', 0, 900),
    senderId,
  };
};

/** What SQS counts for the batch limit, before any entry is validated. */
const rawSize = (entry: Input): number => {
  const body = typeof entry.MessageBody === 'string' ? Buffer.byteLength(entry.MessageBody, 'utf8') : 0;
  const attributes = isRecord(entry.MessageAttributes) ? entry.MessageAttributes : {};
  let size = body;
  for (const [name, raw] of Object.entries(attributes)) {
    if (!isRecord(raw)) continue;
    size += Buffer.byteLength(name) + (typeof raw.DataType === 'string' ? Buffer.byteLength(raw.DataType) : 0);
    if (typeof raw.StringValue === 'string') size += Buffer.byteLength(raw.StringValue);
    else if (typeof raw.BinaryValue === 'string') size += Buffer.from(raw.BinaryValue, 'base64').length;
  }
  return size;
};

const sendResult = (message: StoredMessage) => {
  const systemMd5 = md5OfAttributes(message.systemAttributes);
  return {
    MessageId: message.id,
    MD5OfMessageBody: message.md5OfBody,
    ...(message.md5OfAttributes ? { MD5OfMessageAttributes: message.md5OfAttributes } : {}),
    ...(systemMd5 ? { MD5OfMessageSystemAttributes: systemMd5 } : {}),
  };
};

/** SQS words it differently for SendMessage and for a batch entry. */
const tooLong = (queue: Queue, inBatch: boolean): SqsApiError =>
  invalidParameterValue(
    `One or more parameters ${inBatch ? 'cannot be validated' : 'are invalid'}. Reason: Message must be shorter than ${queue.settings.maximumMessageSize} bytes.`,
  );

const sendMessage: Action = (ctx, input) => {
  const queue = ctx.store.byUrl(str(input, 'QueueUrl', true));
  const draft = readDraft(input, ctx.senderId);
  if (draft.size > queue.settings.maximumMessageSize) throw tooLong(queue, false);
  ctx.payloadBytes += draft.size;
  return sendResult(ctx.store.send(queue, draft));
};

/**
 * SendMessageBatch: the whole request fails for a bad batch (count, ids) or a payload over 1 MiB
 * (`BatchRequestTooLong`); a single entry over the queue's MaximumMessageSize or otherwise
 * invalid fails alone, in `Failed` with `SenderFault: true`, as SQS answers.
 */
const sendMessageBatch: Action = (ctx, input) => {
  const queue = ctx.store.byUrl(str(input, 'QueueUrl', true));
  const entries = batchEntries(input, 'SendMessageBatchRequestEntry');
  const total = entries.reduce((sum, { entry }) => sum + rawSize(entry), 0);
  if (total > MAX_BATCH_BYTES) throw batchRequestTooLong(MAX_BATCH_BYTES, total);
  ctx.payloadBytes += total;
  return perEntry(entries, (id, entry) => {
    const draft = readDraft(entry, ctx.senderId);
    if (draft.size > queue.settings.maximumMessageSize) throw tooLong(queue, true);
    if (ctx.faults.takeEntry({ queueName: queue.name, id, body: draft.body })) throw internalError();
    return { Id: id, ...sendResult(ctx.store.send(queue, draft)) };
  });
};

const SYSTEM_ATTRIBUTES = ['SenderId', 'SentTimestamp', 'ApproximateReceiveCount', 'ApproximateFirstReceiveTimestamp', 'AWSTraceHeader', 'DeadLetterQueueSourceArn'];

const systemAttributes = (message: StoredMessage, requested: readonly string[]): Record<string, string> => {
  const values: Record<string, string | undefined> = {
    SenderId: message.senderId,
    SentTimestamp: String(message.sentAt),
    ApproximateReceiveCount: String(message.receiveCount),
    ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt ?? message.sentAt),
    AWSTraceHeader: message.systemAttributes.AWSTraceHeader?.stringValue,
    DeadLetterQueueSourceArn: message.deadLetterSourceArn,
  };
  const names = requested.includes('All') ? SYSTEM_ATTRIBUTES : requested;
  return Object.fromEntries(names.flatMap((name) => (values[name] === undefined ? [] : [[name, values[name]]])));
};

const received = (message: StoredMessage, systemNames: readonly string[], attributeNames: readonly string[]) => {
  const attributes = systemAttributes(message, systemNames);
  const selected = selectAttributes(message.attributes, attributeNames);
  const md5 = md5OfAttributes(selected);
  return {
    MessageId: message.id,
    ReceiptHandle: message.receipt ?? '',
    MD5OfBody: md5Hex(message.body),
    Body: message.body,
    ...(Object.keys(attributes).length > 0 ? { Attributes: attributes } : {}),
    ...(md5 ? { MD5OfMessageAttributes: md5, MessageAttributes: attributesToWire(selected) } : {}),
  };
};

/**
 * ReceiveMessage. With WaitTimeSeconds (or the queue's ReceiveMessageWaitTimeSeconds) it long
 * polls: it answers as soon as at least one message is receivable, or empty at the end of the
 * wait. Short polls look at every message (SQS samples servers, so it may answer empty even when
 * messages exist; the local endpoint never does).
 */
const receiveMessage: Action = async (ctx, input) => {
  const { store } = ctx;
  const queue = store.byUrl(str(input, 'QueueUrl', true));
  const max = int(input, 'MaxNumberOfMessages', 1, 10, 'Must be between 1 and 10, if provided.') ?? 1;
  const visibility = int(input, 'VisibilityTimeout', 0, 43_200, 'Must be >= 0 and <= 43200, if provided.');
  const wait = int(input, 'WaitTimeSeconds', 0, 20) ?? queue.settings.receiveMessageWaitTimeSeconds;
  const systemNames = [...strings(input, 'AttributeNames'), ...strings(input, 'MessageSystemAttributeNames')];
  const attributeNames = strings(input, 'MessageAttributeNames');
  // The wait is a network wait: it runs on the wall clock whatever clock the messages use.
  const deadline = Date.now() + wait * 1000;
  let messages: StoredMessage[] = [];
  while (!ctx.signal.aborted) {
    messages = store.receive(queue, max, visibility);
    const left = deadline - Date.now();
    if (messages.length > 0 || left <= 0) break;
    const next = queue.nextVisibleAt(store.now);
    await queue.waitForChange(Math.min(left, RECHECK_MS, next === undefined ? RECHECK_MS : next - store.now), ctx.signal);
  }
  ctx.payloadBytes += messages.reduce((sum, m) => sum + m.size, 0);
  return messages.length > 0 ? { Messages: messages.map((m) => received(m, systemNames, attributeNames)) } : {};
};

const deleteMessage: Action = ({ store }, input) => {
  store.deleteMessage(store.byUrl(str(input, 'QueueUrl', true)), str(input, 'ReceiptHandle', true));
  return {};
};

const deleteMessageBatch: Action = ({ store }, input) => {
  const queue = store.byUrl(str(input, 'QueueUrl', true));
  return perEntry(batchEntries(input, 'DeleteMessageBatchRequestEntry'), (id, entry) => {
    store.deleteMessage(queue, str(entry, 'ReceiptHandle', true));
    return { Id: id };
  });
};

const visibilityOf = (input: Input): number => {
  const timeout = int(input, 'VisibilityTimeout', 0, 43_200, 'Must be between 0 and 43200, if provided.');
  if (timeout === undefined) throw missingParameter('VisibilityTimeout');
  return timeout;
};

const changeMessageVisibility: Action = ({ store }, input) => {
  const queue = store.byUrl(str(input, 'QueueUrl', true));
  store.changeVisibility(queue, str(input, 'ReceiptHandle', true), visibilityOf(input));
  return {};
};

const changeMessageVisibilityBatch: Action = ({ store }, input) => {
  const queue = store.byUrl(str(input, 'QueueUrl', true));
  return perEntry(batchEntries(input, 'ChangeMessageVisibilityBatchRequestEntry'), (id, entry) => {
    store.changeVisibility(queue, str(entry, 'ReceiptHandle', true), visibilityOf(entry));
    return { Id: id };
  });
};

export const messageActions = {
  SendMessage: sendMessage,
  SendMessageBatch: sendMessageBatch,
  ReceiveMessage: receiveMessage,
  DeleteMessage: deleteMessage,
  DeleteMessageBatch: deleteMessageBatch,
  ChangeMessageVisibility: changeMessageVisibility,
  ChangeMessageVisibilityBatch: changeMessageVisibilityBatch,
} satisfies Record<string, Action>;
