/**
 * SQS errors in the JSON protocol's wire shape: status, a body `{"__type", "message"}` and the
 * `x-amzn-query-error: <Code>;<Sender|Receiver>` header that query-compatible clients (the AWS
 * SDK v3 among them) read the error code from. Handlers throw them; the server renders them once.
 *
 * `type` is the smithy shape (`com.amazonaws.sqs#QueueDoesNotExist`), `code` the legacy query code
 * (`AWS.SimpleQueueService.NonExistentQueue`) that also fills `Code` of a batch entry failure.
 */
export type SqsFault = 'Sender' | 'Receiver';

export class SqsApiError extends Error {
  readonly status: number;
  readonly type: string;
  readonly code: string;
  readonly fault: SqsFault;

  constructor(init: { status: number; type: string; code: string; message: string; fault?: SqsFault; cause?: unknown }) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'SqsApiError';
    this.status = init.status;
    this.type = init.type;
    this.code = init.code;
    this.fault = init.fault ?? 'Sender';
  }

  /** `{Code, Message, SenderFault}` of a `BatchResultErrorEntry`. */
  entry(id: string): { Id: string; Code: string; Message: string; SenderFault: boolean } {
    return { Id: id, Code: this.code, Message: this.message, SenderFault: this.fault === 'Sender' };
  }
}

const sqs = (shape: string, code: string, message: string, status = 400): SqsApiError =>
  new SqsApiError({ status, type: `com.amazonaws.sqs#${shape}`, code, message });

// Not modelled by SQS itself: Amazon answers these with the service framework's shapes.
const coral = (shape: string, code: string, message: string, status = 400, fault: SqsFault = 'Sender'): SqsApiError =>
  new SqsApiError({ status, type: `com.amazon.coral.service#${shape}`, code, message, fault });

export const queueDoesNotExist = (): SqsApiError =>
  sqs('QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue', 'The specified queue does not exist.');

export const queueNameExists = (attribute: string): SqsApiError =>
  sqs('QueueNameExists', 'QueueAlreadyExists', `A queue already exists with the same name and a different value for attribute ${attribute}`);

export const invalidParameterValue = (message: string): SqsApiError =>
  coral('InvalidParameterValueException', 'InvalidParameterValue', message);

/** `Value 11 for parameter MaxNumberOfMessages is invalid. Reason: ...` */
export const invalidParameter = (name: string, value: unknown, reason: string): SqsApiError =>
  invalidParameterValue(`Value ${typeof value === 'string' ? value : JSON.stringify(value)} for parameter ${name} is invalid. Reason: ${reason}`);

export const missingParameter = (name: string): SqsApiError =>
  coral('MissingRequiredParameterException', 'MissingParameter', `The request must contain the parameter ${name}.`);

export const invalidAttributeName = (name: string): SqsApiError => sqs('InvalidAttributeName', 'InvalidAttributeName', `Unknown Attribute ${name}.`);

export const invalidAttributeValue = (name: string, reason?: string): SqsApiError =>
  sqs('InvalidAttributeValue', 'InvalidAttributeValue', `Invalid value for the parameter ${name}.${reason ? ` Reason: ${reason}` : ''}`);

export const emptyBatchRequest = (entryShape: string): SqsApiError =>
  sqs('EmptyBatchRequest', 'AWS.SimpleQueueService.EmptyBatchRequest', `There should be at least one ${entryShape} in the request.`);

export const tooManyEntriesInBatchRequest = (count: number): SqsApiError =>
  sqs(
    'TooManyEntriesInBatchRequest',
    'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
    `Maximum number of entries per request are 10. You have sent ${count}.`,
  );

export const invalidBatchEntryId = (): SqsApiError =>
  sqs(
    'InvalidBatchEntryId',
    'AWS.SimpleQueueService.InvalidBatchEntryId',
    'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
  );

export const batchEntryIdsNotDistinct = (id: string): SqsApiError =>
  sqs('BatchEntryIdsNotDistinct', 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct', `Id ${id} repeated.`);

export const batchRequestTooLong = (limit: number, sent: number): SqsApiError =>
  sqs(
    'BatchRequestTooLong',
    'AWS.SimpleQueueService.BatchRequestTooLong',
    `Batch requests cannot be longer than ${limit} bytes. You have sent ${sent} bytes.`,
  );

export const receiptHandleIsInvalid = (handle: string): SqsApiError =>
  sqs('ReceiptHandleIsInvalid', 'ReceiptHandleIsInvalid', `The input receipt handle "${handle}" is not a valid receipt handle.`, 404);

export const invalidMessageContents = (): SqsApiError =>
  sqs(
    'InvalidMessageContents',
    'InvalidMessageContents',
    'Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF',
  );

export const purgeQueueInProgress = (queueName: string): SqsApiError =>
  sqs('PurgeQueueInProgress', 'AWS.SimpleQueueService.PurgeQueueInProgress', `Only one PurgeQueue operation on ${queueName} is allowed every 60 seconds.`, 403);

export const unsupportedOperation = (action: string): SqsApiError =>
  sqs(
    'UnsupportedOperation',
    'AWS.SimpleQueueService.UnsupportedOperation',
    `The local SQS endpoint does not model ${action}; see the header of local/sqs/local-sqs.ts for what it covers.`,
  );

export const unknownOperation = (target: string): SqsApiError =>
  coral('UnknownOperationException', 'UnknownOperation', `Unknown operation ${target}. The local SQS endpoint speaks the JSON protocol (X-Amz-Target: AmazonSQS.<Action>).`);

export const requestTooLarge = (): SqsApiError =>
  new SqsApiError({ status: 413, type: 'com.amazon.coral.service#RequestEntityTooLargeException', code: 'RequestEntityTooLarge', message: 'Request is too large.' });

export const serializationError = (message: string): SqsApiError => coral('SerializationException', 'SerializationException', message);

/** An injected or unexpected failure on the service side: 500, which the SDK retries. */
export const internalError = (cause?: unknown): SqsApiError =>
  new SqsApiError({
    status: 500,
    type: 'com.amazon.coral.service#InternalFailure',
    code: 'InternalError',
    message: 'We encountered an internal error. Please try again.',
    fault: 'Receiver',
    cause,
  });
