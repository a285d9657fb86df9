import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { ProcessedEventStore } from '../../app/ports/processed-events';
import type { TableRef } from './client';
import { ATTR, stripeEventKey } from './keys';
import { putIfAbsent } from './conditions';

/** How long a processed-event marker lives: longer than Stripe retries (3 days). */
const MARKER_TTL_SECONDS = 30 * 24 * 3600;

/** Remembers which Stripe events were processed, so each is acted on once. */
export class ProcessedEvents implements ProcessedEventStore {
  constructor(private readonly table: TableRef) {}

  async seen(eventId: string): Promise<boolean> {
    const { Item } = await this.table.client.send(
      new GetCommand({ TableName: this.table.tableName, Key: stripeEventKey(eventId), ConsistentRead: true }),
    );
    return Item !== undefined;
  }

  /**
   * Marks the event processed; false when it already was. `ignoredReason` records why an event
   * was answered but not acted on (it is never acted on later: Stripe does not send it again).
   */
  async mark(eventId: string, type: string, now: Date, ignoredReason?: string): Promise<boolean> {
    return putIfAbsent(this.table, {
      ...stripeEventKey(eventId),
      type,
      processed_at: now.toISOString(),
      ...(ignoredReason === undefined ? {} : { ignored_reason: ignoredReason }),
      [ATTR.ttl]: Math.floor(Date.now() / 1000) + MARKER_TTL_SECONDS,
    });
  }

}
