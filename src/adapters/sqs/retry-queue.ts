import { ChangeMessageVisibilityCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import * as z from 'zod';
import { logger } from '../../platform/logger';
import type { RetryControl } from '../../app/ports/queue';

const redrivePolicy = z.object({ maxReceiveCount: z.coerce.number().int().positive() });

/**
 * Backoff through the queue itself: a failed message is hidden for the delay with
 * ChangeMessageVisibility (the event source mapping's consume grant includes it), and the
 * queue's redrive policy says which receive is the last before the dead-letter queue.
 */
export class SqsRetryControl implements RetryControl {
  private maxReceives: Promise<number | null> | undefined;

  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async delay(receiptHandle: string, seconds: number): Promise<void> {
    await this.client.send(new ChangeMessageVisibilityCommand({ QueueUrl: this.queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: seconds }));
  }

  /** Read once per container; unknown (null) if the queue has no redrive policy or the read fails. */
  maxReceiveCount(): Promise<number | null> {
    this.maxReceives ??= this.client
      .send(new GetQueueAttributesCommand({ QueueUrl: this.queueUrl, AttributeNames: ['RedrivePolicy'] }))
      .then(({ Attributes }) => {
        const policy = Attributes?.RedrivePolicy;
        return policy === undefined ? null : redrivePolicy.parse(JSON.parse(policy)).maxReceiveCount;
      })
      .catch((error: unknown) => {
        logger.warn('could not read the webhook queue redrive policy', { error });
        this.maxReceives = undefined;
        return null;
      });
    return this.maxReceives;
  }
}
