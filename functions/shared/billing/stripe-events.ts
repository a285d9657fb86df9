import { logger } from '../logger';
import type { PaymentProvider, ProviderEvent } from '../payments/port';
import type { EventPublisher } from '../events/publisher';
import type { InvoiceRepository } from '../store/invoices';
import type { ProcessedEvents } from '../store/processed-events';
import type { TenantRepository } from '../store/tenants';
import type { SubscriptionMirror } from './mirror';
import { storedInvoice } from './views';

export interface StripeEventDeps {
  readonly provider: PaymentProvider;
  readonly tenants: TenantRepository;
  readonly mirror: SubscriptionMirror;
  readonly invoices: InvoiceRepository;
  readonly publisher: EventPublisher;
  readonly processed: ProcessedEvents;
}

export type Outcome = 'processed' | 'duplicate' | 'ignored';

/**
 * Mirrors what a Stripe event is about. Order does not matter: we re-read the object from
 * Stripe instead of trusting the event's snapshot, and the mirror keeps the newest read. Each
 * event id is acted on once: the marker is written after the work, and the work itself is
 * idempotent (same mirror, same audit entry id), so a crash in between only repeats no-ops.
 */
export class StripeEventProcessor {
  constructor(private readonly deps: StripeEventDeps) {}

  async process(event: ProviderEvent, now: Date): Promise<Outcome> {
    if (await this.deps.processed.seen(event.id)) return 'duplicate';
    const tenantId = await this.tenantOf(event);
    if (!tenantId) {
      // Catalog events have no tenant; a subscription or invoice without one is worth a look.
      if (event.object.kind !== 'other') logger.warn('stripe event for an unknown customer', { event_id: event.id, type: event.type });
      await this.deps.processed.mark(event.id, event.type, now);
      return 'ignored';
    }
    if (event.object.kind === 'subscription') await this.syncSubscription(tenantId, event.object.id);
    if (event.object.kind === 'invoice') await this.syncInvoice(tenantId, event.object.id);
    await this.deps.publisher.publish(tenantId, {
      id: `stripe:${event.id}`,
      type: `stripe.${event.type}`,
      actor: { type: 'stripe' },
      occurredAt: event.createdAt,
      data: { stripe_event_id: event.id, object_id: event.object.id },
    });
    await this.deps.processed.mark(event.id, event.type, now);
    return 'processed';
  }

  private async tenantOf(event: ProviderEvent): Promise<string | null> {
    if (event.customerId) {
      const tenant = await this.deps.tenants.findByCustomer(event.customerId);
      if (tenant) return tenant;
    }
    if (event.object.kind === 'subscription') {
      return (await this.deps.provider.getSubscription(event.object.id)).tenantId;
    }
    return null;
  }

  private async syncSubscription(tenantId: string, subscriptionId: string): Promise<void> {
    const readAt = new Date();
    const sub = await this.deps.provider.getSubscription(subscriptionId);
    await this.deps.mirror.save(tenantId, sub, readAt);
  }

  private async syncInvoice(tenantId: string, invoiceId: string): Promise<void> {
    const readAt = new Date();
    const invoice = await this.deps.provider.getInvoice(invoiceId);
    await this.deps.invoices.save(storedInvoice(invoice, tenantId), readAt);
  }
}
