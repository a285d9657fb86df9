import type { DeliveryAttempt, WebhookEndpoint } from '../ports/webhooks';

/** An endpoint as the API shows it: never a secret. */
export const webhookView = (endpoint: WebhookEndpoint) => ({
  id: endpoint.id,
  url: endpoint.url,
  events: endpoint.events,
  enabled: endpoint.enabled,
  created_at: endpoint.created_at,
  updated_at: endpoint.updated_at,
  previous_secret_expires_at: endpoint.previous_secret_expires_at,
});

export const deliveryAttemptView = (attempt: DeliveryAttempt) => ({
  endpoint_id: attempt.endpoint_id,
  event_id: attempt.event_id,
  event_type: attempt.event_type,
  attempt: attempt.attempt,
  status: attempt.status,
  status_code: attempt.status_code,
  latency_ms: attempt.latency_ms,
  error: attempt.error,
  attempted_at: attempt.attempted_at,
  next_attempt_at: attempt.next_attempt_at,
});
