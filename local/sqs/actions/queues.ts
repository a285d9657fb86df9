import { invalidParameterValue, missingParameter, queueDoesNotExist } from '../errors';
import { type Input, int, str, stringMap, strings } from '../params';
import { readAttributes } from '../queue-attributes';
import type { Queue } from '../store';
import type { Action } from './context';

const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;

const createQueue: Action = ({ store }, input) => {
  const name = str(input, 'QueueName', true);
  if (name.endsWith('.fifo')) throw invalidParameterValue('FIFO queues are not modelled by the local SQS endpoint.');
  if (!QUEUE_NAME.test(name)) throw invalidParameterValue('Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length');
  // Tags are accepted and not kept: the local endpoint does not model tagging.
  return { QueueUrl: store.create(name, stringMap(input, 'Attributes')).url };
};

const getQueueUrl: Action = ({ store }, input) => {
  const owner = str(input, 'QueueOwnerAWSAccountId');
  const queue = store.byName(str(input, 'QueueName', true));
  if (owner !== undefined && !queue.arn.endsWith(`:${owner}:${queue.name}`)) throw queueDoesNotExist();
  return { QueueUrl: queue.url };
};

const facts = (queue: Queue, now: number) => ({ arn: queue.arn, createdAt: queue.createdAt, lastModifiedAt: queue.lastModifiedAt, ...queue.counts(now) });

const getQueueAttributes: Action = ({ store }, input) => {
  const queue = store.byUrl(str(input, 'QueueUrl', true));
  queue.expire(store.now);
  const attributes = readAttributes(queue.settings, facts(queue, store.now), strings(input, 'AttributeNames'));
  return Object.keys(attributes).length > 0 ? { Attributes: attributes } : {};
};

const setQueueAttributes: Action = ({ store }, input) => {
  const queue = store.byUrl(str(input, 'QueueUrl', true));
  if (input.Attributes === undefined) throw missingParameter('Attributes');
  store.setAttributes(queue, stringMap(input, 'Attributes'));
  return {};
};

const purgeQueue: Action = ({ store }, input) => {
  store.purge(store.byUrl(str(input, 'QueueUrl', true)));
  return {};
};

const deleteQueue: Action = ({ store }, input) => {
  store.delete(store.byUrl(str(input, 'QueueUrl', true)));
  return {};
};

/** Pages by queue name; the token is the last name of the previous page. */
const page = (urls: { name: string; url: string }[], input: Input, key: string): Record<string, unknown> => {
  const max = int(input, 'MaxResults', 1, 1000, 'Value must be between 1 and 1000.');
  const token = str(input, 'NextToken');
  const after = token === undefined ? undefined : Buffer.from(token, 'base64').toString('utf8');
  const rest = after === undefined ? urls : urls.filter((u) => u.name > after);
  const shown = max === undefined ? rest : rest.slice(0, max);
  const last = shown.at(-1);
  return {
    ...(shown.length > 0 ? { [key]: shown.map((u) => u.url) } : {}),
    ...(max !== undefined && rest.length > shown.length && last ? { NextToken: Buffer.from(last.name, 'utf8').toString('base64') } : {}),
  };
};

const listQueues: Action = ({ store }, input) => page(store.list(str(input, 'QueueNamePrefix') ?? ''), input, 'QueueUrls');

const listDeadLetterSourceQueues: Action = ({ store }, input) => {
  const target = store.byUrl(str(input, 'QueueUrl', true));
  const sources = store.list().filter((q) => q.settings.redrivePolicy?.deadLetterTargetArn === target.arn);
  return { queueUrls: [], ...page(sources, input, 'queueUrls') };
};

export const queueActions = {
  CreateQueue: createQueue,
  GetQueueUrl: getQueueUrl,
  GetQueueAttributes: getQueueAttributes,
  SetQueueAttributes: setQueueAttributes,
  PurgeQueue: purgeQueue,
  DeleteQueue: deleteQueue,
  ListQueues: listQueues,
  ListDeadLetterSourceQueues: listDeadLetterSourceQueues,
} satisfies Record<string, Action>;
