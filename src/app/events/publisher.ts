import { toJson } from '../../platform/json';
import { logger } from '../../platform/logger';
import type { MessageQueue } from '../ports/queue';
import type { BillingEventStore, NewBillingEvent } from '../ports/billing-events';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from '../../domain/webhooks/events';

/** What goes on the webhook queue: one tenant event, fanned out to its endpoints by the dispatcher. */
export interface TenantEventMessage {
  readonly tenant_id: string;
  readonly event: { readonly id: string; readonly type: WebhookEventType; readonly created_at: string; readonly data: Record<string, unknown> };
}

/**
 * Writes a billing event to the audit trail and, when tenants can subscribe to its type, puts
 * it on the webhook queue. The enqueue happens even when the entry already existed (a retry
 * after a crash between the two), so no notification is lost; the dispatcher delivers each
 * event id to each endpoint once.
 */
export class EventPublisher {
  constructor(
    private readonly events: BillingEventStore,
    private readonly queue: MessageQueue | null,
  ) {}

  async publish(tenantId: string, event: NewBillingEvent & { id: string }): Promise<void> {
    await this.events.append(tenantId, event);
    const type = (WEBHOOK_EVENT_TYPES as Record<string, WebhookEventType | undefined>)[event.type];
    if (!type) return;
    if (!this.queue) {
      logger.debug('no webhook queue configured; event not sent to tenant webhooks', { type: event.type });
      return;
    }
    const message: TenantEventMessage = {
      tenant_id: tenantId,
      event: { id: event.id, type, created_at: event.occurredAt.toISOString(), data: event.data ?? {} },
    };
    // toJson: event data may hold exact bigint quantities and amounts.
    await this.queue.sendAll([{ id: '0', body: toJson(message) }]);
  }
}
