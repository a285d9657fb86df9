import { toJson } from '../../platform/json';
import { logger } from '../../platform/logger';
import type { MessageQueue } from '../ports/queue';
import type { BillingEventStore, NewBillingEvent } from '../ports/billing-events';

/**
 * Billing events that tenants can subscribe to with webhooks, by the audit-trail type that
 * produces them. Everything else stays in the audit trail only.
 */
export const WEBHOOK_EVENT_TYPES = {
  'subscription.created': 'subscription.created',
  'subscription.upgraded': 'subscription.updated',
  'subscription.downgrade_scheduled': 'subscription.updated',
  'subscription.change_canceled': 'subscription.updated',
  'subscription.cancel_scheduled': 'subscription.updated',
  'subscription.cancel_undone': 'subscription.updated',
  'subscription.canceled': 'subscription.canceled',
  'stripe.customer.subscription.updated': 'subscription.updated',
  'stripe.customer.subscription.deleted': 'subscription.canceled',
  'stripe.invoice.finalized': 'invoice.finalized',
  'stripe.invoice.paid': 'invoice.paid',
  'stripe.invoice.payment_succeeded': 'payment.succeeded',
  'stripe.invoice.payment_failed': 'payment.failed',
  'stripe.invoice.payment_action_required': 'payment.action_required',
  'stripe.customer.subscription.trial_will_end': 'subscription.trial_will_end',
  'payment_method.updated': 'payment_method.updated',
  'stripe.payment_method.detached': 'payment_method.updated',
  'stripe.payment_method.updated': 'payment_method.updated',
  'usage.threshold_reached': 'usage.threshold_reached',
  'overage.billed': 'overage.billed',
  'entitlements.updated': 'entitlements.updated',
  'spend_cap.threshold_reached': 'spend_cap.threshold_reached',
} as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[keyof typeof WEBHOOK_EVENT_TYPES];

/** The list tenants choose from when they configure a webhook. */
export const WEBHOOK_EVENTS: readonly WebhookEventType[] = [...new Set(Object.values(WEBHOOK_EVENT_TYPES))];

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
