import { CreateQueueCommand, GetQueueAttributesCommand, GetQueueUrlCommand, QueueNameExists, SetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { type QueueDefinition, type QueueName, queues } from '../../contracts/queues';

export interface CreatedQueue {
  readonly url: string;
  readonly arn: string;
  readonly deadLetterUrl: string;
  readonly deadLetterArn: string;
}

/** The dead-letter queue of a queue definition is `<name>-dlq`. */
export const deadLetterQueueName = (definition: QueueDefinition): string => `${definition.name}-dlq`;

const arnOf = async (client: SQSClient, url: string): Promise<string> => {
  const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  if (!Attributes?.QueueArn) throw new Error(`no QueueArn for ${url}`);
  return Attributes.QueueArn;
};

/**
 * CreateQueue, or, when a queue kept from an earlier run (a durable local endpoint) has other
 * settings because the definition changed since, SetQueueAttributes on it, as a deploy would.
 */
const createOrUpdate = async (client: SQSClient, name: string, attributes: Record<string, string>): Promise<string> => {
  try {
    const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
    if (!QueueUrl) throw new Error(`CreateQueue answered no URL for ${name}`);
    return QueueUrl;
  } catch (error) {
    if (!(error instanceof QueueNameExists)) throw error;
    const { QueueUrl } = await client.send(new GetQueueUrlCommand({ QueueName: name }));
    if (!QueueUrl) throw new Error(`GetQueueUrl answered no URL for ${name}`, { cause: error });
    await client.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: attributes }));
    return QueueUrl;
  }
};

const createOne = async (client: SQSClient, definition: QueueDefinition): Promise<CreatedQueue> => {
  const size = String(definition.maximumMessageSizeBytes);
  const deadLetterUrl = await createOrUpdate(client, deadLetterQueueName(definition), {
    MessageRetentionPeriod: String(definition.deadLetterRetentionSeconds),
    MaximumMessageSize: size,
  });
  const deadLetterArn = await arnOf(client, deadLetterUrl);
  const url = await createOrUpdate(client, definition.name, {
    VisibilityTimeout: String(definition.visibilityTimeoutSeconds),
    MessageRetentionPeriod: String(definition.retentionSeconds),
    MaximumMessageSize: size,
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetterArn, maxReceiveCount: definition.maxReceiveCount }),
  });
  return { url, arn: await arnOf(client, url), deadLetterUrl, deadLetterArn };
};

/**
 * Creates each queue of `contracts/queues.ts` (or of `definitions`) with its dead-letter queue and the
 * same attributes the CDK stack gives them. Creating again with the same settings is a no-op, as
 * in SQS; a queue that exists with other settings (kept from an earlier run) gets the new ones.
 *
 * @example
 * const created = await createQueuesFromDefinitions(createLocalSqsClient(sqs.endpoint));
 * created.usage.url; // http://127.0.0.1:<port>/000000000000/usage
 */
export function createQueuesFromDefinitions(client: SQSClient): Promise<Record<QueueName, CreatedQueue>>;
export function createQueuesFromDefinitions<K extends string>(client: SQSClient, definitions: Readonly<Record<K, QueueDefinition>>): Promise<Record<K, CreatedQueue>>;
export async function createQueuesFromDefinitions(
  client: SQSClient,
  definitions: Readonly<Record<string, QueueDefinition>> = queues,
): Promise<Record<string, CreatedQueue>> {
  const created: Record<string, CreatedQueue> = {};
  for (const [key, definition] of Object.entries(definitions)) created[key] = await createOne(client, definition);
  return created;
}
