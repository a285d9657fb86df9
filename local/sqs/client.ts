import { SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';
import { LOCAL_REGION } from './constants';

/** The fixed credentials the local stack uses; the endpoint accepts any. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

/**
 * An unmodified SDK client pointed at the local endpoint.
 *
 * @example
 * const client = createLocalSqsClient(sqs.endpoint, { maxAttempts: 1 });
 * await client.send(new SendMessageCommand({ QueueUrl: sqs.queueUrl('usage'), MessageBody: '{}' }));
 */
export const createLocalSqsClient = (endpoint: string, config: Omit<SQSClientConfig, 'endpoint'> = {}): SQSClient =>
  new SQSClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, ...config, endpoint });
