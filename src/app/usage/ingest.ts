import { createHash, randomUUID } from 'node:crypto';
import type { Clock } from '../../platform/clock';
import { packBySize, type UsageRecord } from '../../domain/metering';
import type { MessageQueue, OutgoingMessage } from '../ports/queue';
import { queues } from '../../../contracts/queues';
import type { PackedRecord, UsageMessage } from './message';

/**
 * The largest message body we build: the queue's MaximumMessageSize (the stack raises it to
 * SQS's 1 MiB) less a margin for attributes. One request (at most 1 MiB of JSON, and the packed
 * form is smaller) therefore usually becomes one message: one DynamoDB transaction downstream.
 */
export const MAX_MESSAGE_BYTES = queues.usage.maximumMessageSizeBytes - 16 * 1024;

/**
 * `POST /usage/track`: validated records are packed, many to a message, and put on the usage
 * queue in as few SendMessageBatch calls as the limits allow. Answers only once SQS took all.
 */
export class UsageIngest {
  constructor(
    private readonly queue: MessageQueue,
    private readonly clock: Clock,
  ) {}

  async track(tenantId: string, records: readonly UsageRecord[], requestKey: string | null): Promise<number> {
    const receivedAt = this.clock.now().toISOString();
    const packed: PackedRecord[] = records.map((r) => ({
      r: r.resource_type,
      q: r.usage_amount,
      t: r.timestamp,
      ...(r.idempotency_key ? { k: r.idempotency_key } : {}),
    }));
    const envelope = (dedupId: string, chunk: PackedRecord[]): UsageMessage => ({
      v: 1,
      tenant_id: tenantId,
      dedup_id: dedupId,
      received_at: receivedAt,
      records: chunk,
    });
    const overhead = Buffer.byteLength(JSON.stringify(envelope('x'.repeat(80), [])), 'utf8');
    const chunks = packBySize(packed, MAX_MESSAGE_BYTES, (r) => Buffer.byteLength(JSON.stringify(r), 'utf8') + 1, overhead);
    const requestHash = requestKey ? createHash('sha256').update(`${tenantId}\n${requestKey}`).digest('hex').slice(0, 40) : null;
    const messages: OutgoingMessage[] = chunks.map((chunk, i) => ({
      id: String(i),
      body: JSON.stringify(envelope(requestHash ? `req-${requestHash}-${i}` : `msg-${randomUUID()}`, chunk)),
    }));
    await this.queue.sendAll(messages);
    return records.length;
  }
}
