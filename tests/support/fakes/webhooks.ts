import type { DeliveryAttempt, DeliveryClaim, EndpointChanges, WebhookEndpoint, WebhookStore } from '../../../src/app/ports/webhooks';
import { MAX_ENDPOINTS_PER_TENANT } from '../../../src/app/webhooks/endpoints';

interface DeliveryState {
  attempts: number;
  leaseUntil?: number;
  deliveredAt?: string;
}

const key = (...parts: readonly (string | number)[]): string => parts.join('\u0000');

/** The attempt log's order: by time, then event, endpoint and attempt (as the table sorts them). */
const attemptKey = (a: DeliveryAttempt): string => `${a.attempted_at}#${a.event_id}#${a.endpoint_id}#${String(a.attempt).padStart(4, '0')}`;

/**
 * `WebhookStore` in memory, with the contract of `adapters/dynamodb/webhooks.ts`: every read is
 * under the tenant (another tenant's endpoint id is not found), `create` refuses past the
 * tenant's endpoint limit and `remove` frees a place, a delivery claim counts the attempt and
 * holds a lease (refused while the lease runs or once delivered), and `recordAttempt` logs the
 * attempt and ends the claim. Values are copied in and out, as a table would.
 */
export class InMemoryWebhookStore implements WebhookStore {
  private readonly endpoints = new Map<string, WebhookEndpoint>();
  private readonly deliveries = new Map<string, DeliveryState>();
  private readonly attempts: DeliveryAttempt[] = [];

  constructor(private readonly options: { readonly endpointLimit: number } = { endpointLimit: MAX_ENDPOINTS_PER_TENANT }) {}

  /** Stores endpoints as they are, outside the limit: a test's starting state. */
  seed(...endpoints: readonly WebhookEndpoint[]): this {
    for (const endpoint of endpoints) this.endpoints.set(key(endpoint.tenant_id, endpoint.id), { ...endpoint });
    return this;
  }

  /** Every stored endpoint of every tenant, as stored (secrets sealed). */
  allEndpoints(): WebhookEndpoint[] {
    return [...this.endpoints.values()].map((e) => ({ ...e }));
  }

  /** Every logged attempt, in the order they were recorded. */
  loggedAttempts(): DeliveryAttempt[] {
    return this.attempts.map((a) => ({ ...a }));
  }

  async create(endpoint: WebhookEndpoint): Promise<'created' | 'limit_reached'> {
    const count = [...this.endpoints.values()].filter((e) => e.tenant_id === endpoint.tenant_id).length;
    if (count >= this.options.endpointLimit) return 'limit_reached';
    const id = key(endpoint.tenant_id, endpoint.id);
    // The table's put is conditional on a new key; an id collision is a failed write, not a limit.
    if (this.endpoints.has(id)) throw new Error(`webhook endpoint ${endpoint.id} already exists`);
    this.endpoints.set(id, { ...endpoint });
    return 'created';
  }

  async get(tenantId: string, endpointId: string): Promise<WebhookEndpoint | null> {
    const found = this.endpoints.get(key(tenantId, endpointId));
    return found ? { ...found } : null;
  }

  async list(tenantId: string): Promise<WebhookEndpoint[]> {
    return [...this.endpoints.values()]
      .filter((e) => e.tenant_id === tenantId)
      .sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id))
      .map((e) => ({ ...e }));
  }

  async update(tenantId: string, endpointId: string, changes: EndpointChanges): Promise<WebhookEndpoint | null> {
    const id = key(tenantId, endpointId);
    const found = this.endpoints.get(id);
    if (!found) return null;
    const defined = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));
    const updated: WebhookEndpoint = { ...found, ...defined };
    this.endpoints.set(id, updated);
    return { ...updated };
  }

  async remove(tenantId: string, endpointId: string): Promise<boolean> {
    return this.endpoints.delete(key(tenantId, endpointId));
  }

  async claim(tenantId: string, endpointId: string, eventId: string, nowMs: number, leaseMs: number): Promise<DeliveryClaim> {
    const id = key(tenantId, endpointId, eventId);
    const state = this.deliveries.get(id) ?? { attempts: 0 };
    if (state.deliveredAt !== undefined) return { kind: 'delivered' };
    if (state.leaseUntil !== undefined && state.leaseUntil >= nowMs) {
      return { kind: 'busy', retryInSeconds: Math.max(1, Math.ceil((state.leaseUntil - nowMs) / 1000)) };
    }
    const next: DeliveryState = { attempts: state.attempts + 1, leaseUntil: nowMs + leaseMs };
    this.deliveries.set(id, next);
    return { kind: 'claimed', attempt: next.attempts };
  }

  async recordAttempt(attempt: DeliveryAttempt, _nowMs: number): Promise<void> {
    this.attempts.push({ ...attempt });
    const id = key(attempt.tenant_id, attempt.endpoint_id, attempt.event_id);
    const state = this.deliveries.get(id) ?? { attempts: 0 };
    this.deliveries.set(id, {
      attempts: state.attempts,
      ...(state.deliveredAt !== undefined ? { deliveredAt: state.deliveredAt } : {}),
      ...(attempt.status === 'succeeded' ? { deliveredAt: attempt.attempted_at } : {}),
    });
  }

  /** Newest first; the cursor is the position after the last attempt returned. */
  async listAttempts(tenantId: string, options: { limit: number; cursor?: string }): Promise<{ items: DeliveryAttempt[]; nextCursor: string | null }> {
    const newestFirst = this.attempts.filter((a) => a.tenant_id === tenantId).sort((a, b) => attemptKey(b).localeCompare(attemptKey(a)));
    const cursor = options.cursor;
    const after = cursor === undefined ? newestFirst : newestFirst.filter((a) => attemptKey(a) < cursor);
    const items = after.slice(0, options.limit);
    const last = items[items.length - 1];
    return { items: items.map((a) => ({ ...a })), nextCursor: after.length > items.length && last ? attemptKey(last) : null };
  }
}
