import { randomUUID } from 'node:crypto';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type ReceiveMessageCommandInput,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { createLocalSqsClient, type LocalSqs, startLocalSqs } from '../../../../local/sqs';

/** A clock that moves only when told, for visibility, delay and retention without waiting. */
export class ManualClock {
  private at = Date.UTC(2026, 0, 15);

  readonly now = (): number => this.at;

  advance(ms: number): void {
    this.at += ms;
  }
}

export interface Harness {
  readonly sqs: LocalSqs;
  /** The real SDK client, with no retries so injected 500s show. */
  readonly client: SQSClient;
  /** A queue with a fresh name and these attributes. */
  queue(attributes?: Record<string, string>, name?: string): Promise<string>;
  /** A queue with a dead-letter queue that takes messages after `maxReceiveCount` receives. */
  queueWithDlq(maxReceiveCount: number, attributes?: Record<string, string>): Promise<{ url: string; dlqUrl: string; dlqArn: string }>;
  receive(url: string, input?: Omit<ReceiveMessageCommandInput, 'QueueUrl'>): Promise<Message[]>;
  attributes(url: string): Promise<Record<string, string>>;
  close(): Promise<void>;
}

export const startHarness = async (options: { now?: () => number; maxAttempts?: number } = {}): Promise<Harness> => {
  const sqs = await startLocalSqs({ port: 0, ...(options.now ? { now: options.now } : {}) });
  const client = createLocalSqsClient(sqs.endpoint, { maxAttempts: options.maxAttempts ?? 1 });
  const queue = async (attributes: Record<string, string> = {}, name = `q-${randomUUID().slice(0, 8)}`): Promise<string> => {
    const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
    if (!QueueUrl) throw new Error('CreateQueue answered no URL');
    return QueueUrl;
  };
  const attributes = async (url: string): Promise<Record<string, string>> =>
    (await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }))).Attributes ?? {};
  return {
    sqs,
    client,
    queue,
    queueWithDlq: async (maxReceiveCount, extra = {}) => {
      const dlqUrl = await queue();
      const dlqArn = (await attributes(dlqUrl)).QueueArn ?? '';
      const url = await queue({ ...extra, RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount }) });
      return { url, dlqUrl, dlqArn };
    },
    receive: async (url, input = {}) => (await client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, ...input }))).Messages ?? [],
    attributes,
    close: async () => {
      client.destroy();
      await sqs.close();
    },
  };
};

/** The SDK's error for a failed call, so tests can assert on its name and fields. */
export const failure = async (call: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number }; Code?: string; Type?: string }> => {
  try {
    await call;
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`rejected with a non-error: ${String(error)}`);
  }
  throw new Error('expected the call to fail');
};
