import type { WebhookEventType } from '../../domain/webhooks/events';

/** A tenant's webhook endpoint as stored. The signing secrets are sealed (`webhooks/secret-box.ts`). */
export interface WebhookEndpoint {
  readonly id: string;
  readonly tenant_id: string;
  readonly url: string;
  readonly events: readonly WebhookEventType[];
  readonly enabled: boolean;
  readonly created_at: string;
  readonly updated_at: string;
  readonly secret_sealed: string;
  /** After a rotation with a grace period: the old secret, still signing until it expires. */
  readonly previous_secret_sealed: string | null;
  readonly previous_secret_expires_at: string | null;
}

export type EndpointChanges = Partial<
  Pick<WebhookEndpoint, 'url' | 'events' | 'enabled' | 'secret_sealed' | 'previous_secret_sealed' | 'previous_secret_expires_at'>
> & { readonly updated_at: string };

/** `retrying`: failed, another attempt is scheduled; `failed`: the last attempt failed (dead-lettered). */
export type AttemptStatus = 'succeeded' | 'retrying' | 'failed';

/** One HTTP attempt to deliver one event to one endpoint. */
export interface DeliveryAttempt {
  readonly tenant_id: string;
  readonly endpoint_id: string;
  readonly event_id: string;
  readonly event_type: string;
  /** 1 for the first attempt of this event to this endpoint. */
  readonly attempt: number;
  readonly status: AttemptStatus;
  readonly status_code: number | null;
  readonly latency_ms: number | null;
  readonly error: string | null;
  readonly attempted_at: string;
  readonly next_attempt_at: string | null;
}

/** The outcome of taking an event's delivery to an endpoint for one attempt. */
export type DeliveryClaim =
  | { readonly kind: 'claimed'; readonly attempt: number }
  | { readonly kind: 'delivered' }
  /** Another consumer is attempting it right now (a duplicate message). */
  | { readonly kind: 'busy'; readonly retryInSeconds: number };

/** Tenant webhook endpoints, the delivery state of each (endpoint, event), and the log of attempts. */
export interface WebhookStore {
  /** Creates an endpoint unless the tenant already has as many as it may. */
  create(endpoint: WebhookEndpoint): Promise<'created' | 'limit_reached'>;
  get(tenantId: string, endpointId: string): Promise<WebhookEndpoint | null>;
  /** All of a tenant's endpoints, oldest first. */
  list(tenantId: string): Promise<WebhookEndpoint[]>;
  /** Applies `changes` to an existing endpoint; null when the tenant has no such endpoint. */
  update(tenantId: string, endpointId: string, changes: EndpointChanges): Promise<WebhookEndpoint | null>;
  /** Deletes an endpoint; false when there was none. */
  remove(tenantId: string, endpointId: string): Promise<boolean>;
  /** Takes one event's delivery to one endpoint for one attempt, under a lease (wall-clock ms). */
  claim(tenantId: string, endpointId: string, eventId: string, nowMs: number, leaseMs: number): Promise<DeliveryClaim>;
  /** Logs an attempt and ends its claim: delivered on success, lease released on failure. */
  recordAttempt(attempt: DeliveryAttempt, nowMs: number): Promise<void>;
  /** The tenant's delivery attempts, newest first. */
  listAttempts(tenantId: string, options: { limit: number; cursor?: string }): Promise<{ items: DeliveryAttempt[]; nextCursor: string | null }>;
}
