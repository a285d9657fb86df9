import { SendMessageBatchCommand, SQSClient, type SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import { ServiceUnavailable } from '../../app/errors';
import type { MessageQueue, OutgoingMessage } from '../../app/ports/queue';
import { logger } from '../../platform/logger';

/** SQS's per-request limits: 10 entries and 1 MiB of payload per SendMessageBatch. */
export const SQS_LIMITS = { entriesPerBatch: 10, batchBytes: 1_048_576 } as const;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** SendMessageBatch requests one `sendAll` has in flight at once. */
const BATCHES_AT_ONCE = 4;

/** Groups messages into as few SendMessageBatch requests as the limits allow, in order. */
export const batchesOf = (messages: readonly OutgoingMessage[]): OutgoingMessage[][] => {
  const batches: OutgoingMessage[][] = [];
  let current: OutgoingMessage[] = [];
  let bytes = 0;
  for (const m of messages) {
    const size = Buffer.byteLength(m.body, 'utf8');
    if (current.length > 0 && (current.length === SQS_LIMITS.entriesPerBatch || bytes + size > SQS_LIMITS.batchBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(m);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
};

/**
 * An SQS queue. Entries SQS reports as failed are sent again (with backoff) until all are in;
 * if some still are not, the call fails, so the API never answers "accepted" for them.
 */
export class SqsQueue implements MessageQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
    private readonly attempts = 4,
  ) {}

  /** Sends every message, a few batches at once (the overage planner sends thousands); fails if any is not accepted. */
  async sendAll(messages: readonly OutgoingMessage[]): Promise<void> {
    const batches = batchesOf(messages);
    let failure: { error: unknown } | null = null;
    const sender = async (): Promise<void> => {
      for (let batch = batches.shift(); batch !== undefined && failure === null; batch = batches.shift()) {
        try {
          await this.sendBatch(batch);
        } catch (error) {
          failure ??= { error };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(BATCHES_AT_ONCE, batches.length) }, sender));
    if (failure !== null) throw (failure as { error: unknown }).error;
  }

  private async sendBatch(batch: readonly OutgoingMessage[]): Promise<void> {
    let pending: SendMessageBatchRequestEntry[] = batch.map((m) => ({ Id: m.id, MessageBody: m.body }));
    for (let attempt = 1; pending.length > 0; attempt += 1) {
      const out = await this.client.send(new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: pending }));
      const failed = new Set((out.Failed ?? []).map((f) => f.Id));
      if (failed.size === 0) break;
      const senderFaults = (out.Failed ?? []).filter((f) => f.SenderFault);
      if (senderFaults.length > 0 || attempt >= this.attempts) {
        logger.error('usage messages not accepted by SQS', { failed: out.Failed });
        throw new ServiceUnavailable('The usage queue did not accept every record; retry with the same Idempotency-Key');
      }
      pending = pending.filter((e) => e.Id !== undefined && failed.has(e.Id));
      await sleep(50 * 2 ** attempt + Math.random() * 50);
    }
  }
}
