import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse } from 'aws-lambda';
import { queues, type QueueDefinition } from '../../../contracts/queues';
import { createLocalSqsClient, createQueuesFromDefinitions, startEventSourcePoller } from '../../../local/sqs';
import { RESOURCES, type Resource } from '../../../src/domain/resources';
import type { DynamoMeter } from './dynamodb-meter';
import type { TrackRecord } from './workload';

/** The naive event: one record of one tenant, alone in its SQS message. */
interface NaiveEvent {
  readonly tenant_id: string;
  readonly record: TrackRecord;
}

/** Its own queue, with the usage queue's settings and event source mapping (batch size, window). */
const naiveQueue: QueueDefinition = { ...queues.usage, name: 'bench-naive-usage' };
const COUNTER_PK = 'BENCH#NAIVE#';
const COUNTER_SK = 'COUNTERS';

export interface NaivePath {
  /** Sends one event with SendMessage; resolves with the call's latency in ms. */
  send(tenantId: string, record: TrackRecord): Promise<number>;
  /** Resolves once the queue is drained and every event is written. */
  idle(timeoutMs: number): Promise<void>;
  /** Per-tenant sums as the naive consumer stored them (read with a client the meter does not count). */
  stored(tenantId: string): Promise<Record<Resource, number>>;
  stop(): Promise<void>;
}

/**
 * The design the SPEC compares against: one SQS message per event (SendMessage) and one
 * DynamoDB write per event (an UpdateItem ADD on a per-tenant counter item, no dedup), consumed
 * by the same Lambda-style poller, against the same local SQS endpoint and table.
 */
export const startNaivePath = async (options: {
  readonly sqsEndpoint: string;
  readonly dynamoEndpoint: string;
  readonly region: string;
  readonly tableName: string;
  readonly consumers: number;
  readonly meter: DynamoMeter;
}): Promise<NaivePath> => {
  const sqs = createLocalSqsClient(options.sqsEndpoint);
  const { naive } = await createQueuesFromDefinitions(sqs, { naive: naiveQueue });
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  const dynamo = new DynamoDBClient({ endpoint: options.dynamoEndpoint, region: options.region, credentials });
  options.meter.attach(dynamo);
  const reader = new DynamoDBClient({ endpoint: options.dynamoEndpoint, region: options.region, credentials });

  const write = async (body: string): Promise<void> => {
    const event = JSON.parse(body) as NaiveEvent;
    await dynamo.send(
      new UpdateItemCommand({
        TableName: options.tableName,
        Key: { PK: { S: `${COUNTER_PK}${event.tenant_id}` }, SK: { S: COUNTER_SK } },
        UpdateExpression: 'ADD #r :q',
        ExpressionAttributeNames: { '#r': event.record.resource_type },
        ExpressionAttributeValues: { ':q': { N: String(event.record.usage_amount) } },
      }),
    );
  };

  const poller = startEventSourcePoller({
    sqsEndpoint: options.sqsEndpoint,
    queueUrl: naive.url,
    batchSize: naiveQueue.consumer.batchSize,
    maximumBatchingWindowSeconds: naiveQueue.consumer.maximumBatchingWindowSeconds,
    reportBatchItemFailures: true,
    concurrency: options.consumers,
    functionName: 'bench-naive-consumer',
    functionTimeoutSeconds: naiveQueue.visibilityTimeoutSeconds,
    handler: async (event): Promise<SQSBatchResponse> => {
      const results = await Promise.allSettled(event.Records.map((r) => write(r.body)));
      const failed = event.Records.filter((_, i) => results[i]?.status === 'rejected');
      for (const r of results) if (r.status === 'rejected') console.error('naive consumer: write failed', r.reason);
      return { batchItemFailures: failed.map((r) => ({ itemIdentifier: r.messageId })) };
    },
  });

  return {
    send: async (tenantId, record) => {
      const started = performance.now();
      const body: NaiveEvent = { tenant_id: tenantId, record };
      await sqs.send(new SendMessageCommand({ QueueUrl: naive.url, MessageBody: JSON.stringify(body) }));
      return performance.now() - started;
    },
    idle: (timeoutMs) => poller.idle({ timeoutMs }),
    stored: async (tenantId) => {
      const { Item } = await reader.send(
        new GetItemCommand({
          TableName: options.tableName,
          Key: { PK: { S: `${COUNTER_PK}${tenantId}` }, SK: { S: COUNTER_SK } },
          ConsistentRead: true,
        }),
      );
      return Object.fromEntries(RESOURCES.map((r) => [r, Number(Item?.[r]?.N ?? 0)])) as Record<Resource, number>;
    },
    stop: async () => {
      await poller.stop();
      sqs.destroy();
      dynamo.destroy();
      reader.destroy();
    },
  };
};
