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
export const WEBHOOK_EVENTS = [...new Set(Object.values(WEBHOOK_EVENT_TYPES))] as [WebhookEventType, ...WebhookEventType[]];
