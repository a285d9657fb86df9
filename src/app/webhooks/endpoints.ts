import { randomBytes } from 'node:crypto';
import type { Clock } from '../../platform/clock';
import { Conflict, InvalidInput, NotFound } from '../errors';
import { logger } from '../../platform/logger';
import type { WebhookEventType } from '../../domain/webhooks/events';
import type { DeliveryAttempt, WebhookEndpoint, WebhookStore } from '../ports/webhooks';
import type { SecretBox } from './secret-box';
import { newSigningSecret } from './signature';
import { TargetRefused, type TargetGuard } from '../ports/webhook-delivery';
import { webhookView } from './views';

/** Endpoints a tenant may have at once. */
export const MAX_ENDPOINTS_PER_TENANT = 10;

/** Endpoint ids: `we_` and 24 hex characters. */
export const ENDPOINT_ID = /^we_[0-9a-f]{24}$/;

export interface EndpointDeps {
  readonly repository: WebhookStore;
  readonly secretBox: () => Promise<SecretBox>;
  /** The SSRF guard with the configured policy and resolver. */
  readonly vet: TargetGuard;
  readonly clock: Clock;
}

export interface NewEndpoint {
  readonly url: string;
  readonly events: readonly WebhookEventType[];
  readonly enabled?: boolean;
}

export interface EndpointUpdate {
  readonly url?: string;
  readonly events?: readonly WebhookEventType[];
  readonly enabled?: boolean;
}

export type WebhookView = ReturnType<typeof webhookView>;

/** The context a sealed secret is bound to: its tenant and endpoint. */
export const secretContext = (tenantId: string, endpointId: string): string => `${tenantId}/${endpointId}`;

const unique = <T>(values: readonly T[]): T[] => [...new Set(values)];

/**
 * The tenant-facing use cases of webhook endpoints: configure, change, rotate the signing
 * secret, delete, list. A URL is vetted (https, public addresses only) whenever it is set.
 */
export class WebhookEndpoints {
  constructor(private readonly deps: EndpointDeps) {}

  /** Creates an endpoint; its signing secret is returned here and never again. */
  async create(tenantId: string, input: NewEndpoint): Promise<{ webhook: WebhookView; secret: string }> {
    const url = await this.vetted(input.url);
    const id = `we_${randomBytes(12).toString('hex')}`;
    const secret = newSigningSecret();
    const now = this.deps.clock.now().toISOString();
    const endpoint: WebhookEndpoint = {
      id,
      tenant_id: tenantId,
      url,
      events: unique(input.events),
      enabled: input.enabled ?? true,
      created_at: now,
      updated_at: now,
      secret_sealed: (await this.deps.secretBox()).seal(secret, secretContext(tenantId, id)),
      previous_secret_sealed: null,
      previous_secret_expires_at: null,
    };
    if ((await this.deps.repository.create(endpoint)) === 'limit_reached') {
      throw new Conflict(`A tenant can have at most ${MAX_ENDPOINTS_PER_TENANT} webhook endpoints; delete one first`);
    }
    return { webhook: webhookView(endpoint), secret };
  }

  /** Changes an endpoint's URL, events or enabled flag; the secret stays. */
  async update(tenantId: string, endpointId: string, changes: EndpointUpdate): Promise<WebhookView> {
    this.known(endpointId);
    const updated = await this.deps.repository.update(tenantId, endpointId, {
      ...(changes.url !== undefined ? { url: await this.vetted(changes.url) } : {}),
      ...(changes.events !== undefined ? { events: unique(changes.events) } : {}),
      ...(changes.enabled !== undefined ? { enabled: changes.enabled } : {}),
      updated_at: this.deps.clock.now().toISOString(),
    });
    if (!updated) throw new NotFound('No such webhook endpoint');
    return webhookView(updated);
  }

  /**
   * A new signing secret, returned once. With `keepPreviousHours` > 0 deliveries carry a
   * signature under the old secret as well until then, so receivers can switch without a gap.
   */
  async rotateSecret(tenantId: string, endpointId: string, keepPreviousHours: number): Promise<{ webhook: WebhookView; secret: string }> {
    this.known(endpointId);
    const current = await this.deps.repository.get(tenantId, endpointId);
    if (!current) throw new NotFound('No such webhook endpoint');
    const box = await this.deps.secretBox();
    const secret = newSigningSecret();
    const now = this.deps.clock.now();
    const keep = keepPreviousHours > 0;
    const updated = await this.deps.repository.update(tenantId, endpointId, {
      secret_sealed: box.seal(secret, secretContext(tenantId, endpointId)),
      previous_secret_sealed: keep ? current.secret_sealed : null,
      previous_secret_expires_at: keep ? new Date(now.getTime() + keepPreviousHours * 3_600_000).toISOString() : null,
      updated_at: now.toISOString(),
    });
    if (!updated) throw new NotFound('No such webhook endpoint');
    return { webhook: webhookView(updated), secret };
  }

  async remove(tenantId: string, endpointId: string): Promise<void> {
    this.known(endpointId);
    if (!(await this.deps.repository.remove(tenantId, endpointId))) throw new NotFound('No such webhook endpoint');
  }

  async list(tenantId: string): Promise<WebhookView[]> {
    return (await this.deps.repository.list(tenantId)).map(webhookView);
  }

  async deliveries(tenantId: string, page: { limit: number; cursor?: string }): Promise<{ items: DeliveryAttempt[]; nextCursor: string | null }> {
    return this.deps.repository.listAttempts(tenantId, page);
  }

  /** An id that cannot exist is answered like another tenant's: 404. */
  private known(endpointId: string): void {
    if (!ENDPOINT_ID.test(endpointId)) throw new NotFound('No such webhook endpoint');
  }

  /** The URL as the guard normalized it, or a 400 naming `url` and why. */
  private async vetted(url: string): Promise<string> {
    try {
      return (await this.deps.vet(url)).url.href;
    } catch (error) {
      if (error instanceof TargetRefused) {
        logger.info('webhook URL refused', { reason: error.detail ?? error.message });
        throw new InvalidInput('The webhook URL is not allowed', [{ field: 'url', message: error.message }]);
      }
      throw error;
    }
  }
}
