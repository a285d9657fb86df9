import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { type QueueDefinition, type QueueName, queues } from '../../queues';

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

const createOne = async (client: SQSClient, definition: QueueDefinition): Promise<CreatedQueue> => {
  const size = String(definition.maximumMessageSizeBytes);
  const dlq = await client.send(
    new CreateQueueCommand({
      QueueName: deadLetterQueueName(definition),
      Attributes: { MessageRetentionPeriod: String(definition.deadLetterRetentionSeconds), MaximumMessageSize: size },
    }),
  );
  if (!dlq.QueueUrl) throw new Error(`CreateQueue answered no URL for ${deadLetterQueueName(definition)}`);
  const deadLetterArn = await arnOf(client, dlq.QueueUrl);
  const main = await client.send(
    new CreateQueueCommand({
      QueueName: definition.name,
      Attributes: {
        VisibilityTimeout: String(definition.visibilityTimeoutSeconds),
        MessageRetentionPeriod: String(definition.retentionSeconds),
        MaximumMessageSize: size,
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetterArn, maxReceiveCount: definition.maxReceiveCount }),
      },
    }),
  );
  if (!main.QueueUrl) throw new Error(`CreateQueue answered no URL for ${definition.name}`);
  return { url: main.QueueUrl, arn: await arnOf(client, main.QueueUrl), deadLetterUrl: dlq.QueueUrl, deadLetterArn };
};

/**
 * Creates each queue of `lib/queues.ts` (or of `definitions`) with its dead-letter queue and the
 * same attributes the CDK stack gives them. Creating again with the same settings is a no-op, as
 * in SQS.
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
