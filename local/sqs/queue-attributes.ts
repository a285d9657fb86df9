import { invalidAttributeName, invalidAttributeValue, invalidParameter } from './errors';
import { isRecord } from './params';

export interface RedrivePolicy {
  readonly deadLetterTargetArn: string;
  readonly maxReceiveCount: number;
}

/** The settable attributes of a standard queue, as numbers. */
export interface QueueSettings {
  readonly delaySeconds: number;
  readonly maximumMessageSize: number;
  readonly messageRetentionPeriod: number;
  readonly receiveMessageWaitTimeSeconds: number;
  readonly visibilityTimeout: number;
  readonly redrivePolicy?: RedrivePolicy;
  /** Accepted and echoed back, without effect here (policies, encryption). */
  readonly stored: Readonly<Record<string, string>>;
}

/**
 * SQS's defaults. MaximumMessageSize defaults to 1 MiB since SQS raised the limit (August 2025):
 * the API reference says "Default: 1,048,576 bytes (1 MiB)"; older docs say 262,144.
 */
export const DEFAULT_SETTINGS: QueueSettings = {
  delaySeconds: 0,
  maximumMessageSize: 1_048_576,
  messageRetentionPeriod: 345_600,
  receiveMessageWaitTimeSeconds: 0,
  visibilityTimeout: 30,
  stored: {},
};

const RANGES = {
  DelaySeconds: [0, 900, 'delaySeconds'],
  MaximumMessageSize: [1024, 1_048_576, 'maximumMessageSize'],
  MessageRetentionPeriod: [60, 1_209_600, 'messageRetentionPeriod'],
  ReceiveMessageWaitTimeSeconds: [0, 20, 'receiveMessageWaitTimeSeconds'],
  VisibilityTimeout: [0, 43_200, 'visibilityTimeout'],
} as const satisfies Record<string, readonly [number, number, keyof QueueSettings]>;

type RangedName = keyof typeof RANGES;
const isRanged = (name: string): name is RangedName => Object.hasOwn(RANGES, name);

/** Accepted so IaC-shaped attribute maps work, but they change nothing locally. */
const STORED_ONLY = new Set(['Policy', 'RedriveAllowPolicy', 'KmsMasterKeyId', 'KmsDataKeyReusePeriodSeconds', 'SqsManagedSseEnabled']);

const DYNAMIC = [
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
  'QueueArn',
] as const;

/** Names GetQueueAttributes accepts; FIFO-only ones are accepted and simply absent here. */
const READABLE = new Set<string>([
  'All',
  ...Object.keys(RANGES),
  ...STORED_ONLY,
  ...DYNAMIC,
  'RedrivePolicy',
  'FifoQueue',
  'ContentBasedDeduplication',
  'DeduplicationScope',
  'FifoThroughputLimit',
]);

const parseRedrivePolicy = (value: string, queueExists: (arn: string) => boolean): RedrivePolicy | undefined => {
  if (value === '') return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(value);
  } catch (error) {
    throw Object.assign(invalidParameter('RedrivePolicy', value, 'Redrive policy is not a valid JSON map.'), { cause: error });
  }
  if (!isRecord(raw)) throw invalidParameter('RedrivePolicy', value, 'Redrive policy is not a valid JSON map.');
  const arn = raw.deadLetterTargetArn;
  if (typeof arn !== 'string' || !/^arn:aws[\w-]*:sqs:[\w-]+:\d{12}:[\w-]{1,80}$/.test(arn)) {
    throw invalidParameter('RedrivePolicy', value, 'Invalid value for deadLetterTargetArn.');
  }
  const count = typeof raw.maxReceiveCount === 'string' ? Number(raw.maxReceiveCount) : raw.maxReceiveCount;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > 1000) {
    throw invalidParameter('RedrivePolicy', value, `Invalid value for maxReceiveCount: ${String(raw.maxReceiveCount)}, valid values are from 1 to 1000 both inclusive.`);
  }
  if (!queueExists(arn)) throw invalidParameter('RedrivePolicy', value, 'Dead letter target does not exist.');
  return { deadLetterTargetArn: arn, maxReceiveCount: count };
};

/**
 * Applies a CreateQueue/SetQueueAttributes attribute map to `base`: range-checked numbers
 * (`InvalidAttributeValue`), a redrive policy whose target must exist, unknown names (FIFO
 * attributes included, as SQS answers for a standard queue) refused with `InvalidAttributeName`.
 */
export const applyAttributes = (
  base: QueueSettings,
  attributes: Readonly<Record<string, string>>,
  queueExists: (arn: string) => boolean,
): QueueSettings => {
  let next: QueueSettings = base;
  for (const [name, value] of Object.entries(attributes)) {
    if (isRanged(name)) {
      const [min, max, key] = RANGES[name];
      const n = Number(value);
      if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
        throw invalidAttributeValue(name, `Must be an integer from ${min} to ${max}.`);
      }
      next = { ...next, [key]: n };
    } else if (name === 'RedrivePolicy') {
      const { redrivePolicy: _previous, ...rest } = next;
      const policy = parseRedrivePolicy(value, queueExists);
      next = policy ? { ...rest, redrivePolicy: policy } : rest;
    } else if (STORED_ONLY.has(name)) {
      next = { ...next, stored: { ...next.stored, [name]: value } };
    } else {
      throw invalidAttributeName(name);
    }
  }
  return next;
};

/** The attribute name whose requested value differs from the queue's, for CreateQueue on an existing name. */
export const firstDifference = (current: QueueSettings, requested: QueueSettings): string | undefined => {
  for (const [name, [, , key]] of Object.entries(RANGES)) if (current[key] !== requested[key]) return name;
  if (JSON.stringify(current.redrivePolicy) !== JSON.stringify(requested.redrivePolicy)) return 'RedrivePolicy';
  for (const name of STORED_ONLY) if (current.stored[name] !== requested.stored[name]) return name;
  return undefined;
};

export interface QueueFacts {
  readonly arn: string;
  readonly createdAt: number;
  readonly lastModifiedAt: number;
  readonly visible: number;
  readonly inFlight: number;
  readonly delayed: number;
}

/** GetQueueAttributes: every requested attribute the queue has, values as strings. */
export const readAttributes = (settings: QueueSettings, facts: QueueFacts, names: readonly string[]): Record<string, string> => {
  for (const name of names) if (!READABLE.has(name)) throw invalidAttributeName(name);
  const all: Record<string, string> = {
    ApproximateNumberOfMessages: String(facts.visible),
    ApproximateNumberOfMessagesNotVisible: String(facts.inFlight),
    ApproximateNumberOfMessagesDelayed: String(facts.delayed),
    CreatedTimestamp: String(Math.floor(facts.createdAt / 1000)),
    LastModifiedTimestamp: String(Math.floor(facts.lastModifiedAt / 1000)),
    QueueArn: facts.arn,
    DelaySeconds: String(settings.delaySeconds),
    MaximumMessageSize: String(settings.maximumMessageSize),
    MessageRetentionPeriod: String(settings.messageRetentionPeriod),
    ReceiveMessageWaitTimeSeconds: String(settings.receiveMessageWaitTimeSeconds),
    VisibilityTimeout: String(settings.visibilityTimeout),
    ...(settings.redrivePolicy ? { RedrivePolicy: JSON.stringify(settings.redrivePolicy) } : {}),
    ...settings.stored,
  };
  if (names.includes('All')) return all;
  return Object.fromEntries(names.flatMap((name) => (all[name] === undefined ? [] : [[name, all[name]]])));
};
