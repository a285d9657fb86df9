import { logger } from '../../platform/logger';
import { NotInCatalog } from '../errors';
import type { CardCollection } from '../ports/cards';
import type { PaymentProvider, ProviderEvent } from '../ports/payments';
import type { EventPublisher } from '../events/publisher';
import type { InvoiceStore } from '../ports/invoices';
import type { ProcessedEventStore } from '../ports/processed-events';
import type { EntitlementAnnouncer } from '../ports/entitlements';
import type { TenantStore } from '../ports/tenants';
import type { SubscriptionMirror } from './mirror';
import { storedInvoice } from './views';

export interface StripeEventDeps {
  readonly provider: PaymentProvider;
  readonly cards: Pick<CardCollection, 'adoptCard'>;
  readonly tenants: TenantStore;
  readonly mirror: SubscriptionMirror;
  readonly invoices: InvoiceStore;
  readonly publisher: EventPublisher;
  readonly processed: ProcessedEventStore;
  /** Told after each tenant's event, so the access changes it causes are announced. */
  readonly entitlements: EntitlementAnnouncer;
}

export type Outcome = 'processed' | 'duplicate' | 'ignored';

/** What acting on an event gave: why it was refused (another customer's object), or more to record. */
interface Synced {
  readonly refusal: string | null;
  readonly data?: Record<string, unknown>;
}

/**
 * Mirrors what a Stripe event is about. Order does not matter: we re-read the object from
 * Stripe instead of trusting the event's snapshot, and the mirror keeps the newest read. Each
 * event id is acted on once: the marker is written after the work, and the work itself is
 * idempotent (same mirror, same audit entry id), so a crash in between only repeats no-ops.
 *
 * The tenant comes from the event's customer, the object from its id: the object re-read must
 * belong to that tenant's customer, or the event is ignored (answered 200, so Stripe does not
 * retry it for days, recorded with the reason and logged) and nothing of any tenant changes.
 */
export class StripeEventProcessor {
  constructor(private readonly deps: StripeEventDeps) {}

  async process(event: ProviderEvent, now: Date): Promise<Outcome> {
    if (await this.deps.processed.seen(event.id)) return 'duplicate';
    try {
      return await this.act(event, now);
    } catch (error) {
      // Not ours to mirror: answered 2xx with the reason recorded, never a 500 that Stripe
      // would retry for days (and that would hold back the finalization of an invoice).
      if (!(error instanceof NotInCatalog)) throw error;
      logger.warn('stripe event ignored: not a catalog object', { event_id: event.id, type: event.type, reason: error.message });
      await this.deps.processed.mark(event.id, event.type, now, error.message);
      return 'ignored';
    }
  }

  private async act(event: ProviderEvent, now: Date): Promise<Outcome> {
    const tenantId = await this.tenantOf(event);
    if (!tenantId) {
      // Catalog events have no tenant, nor customers not (yet) recorded as a tenant's; a
      // subscription or invoice without one is worth a look.
      if (event.object.kind === 'other' || event.object.kind === 'payment_method' || event.object.kind === 'customer') {
        await this.deps.processed.mark(event.id, event.type, now);
        return 'ignored';
      }
      const reason = `no tenant owns customer ${event.customerId ?? '(none)'}`;
      logger.warn('stripe event for an unknown customer', { event_id: event.id, type: event.type, reason });
      await this.deps.processed.mark(event.id, event.type, now, reason);
      return 'ignored';
    }
    const synced = event.object.kind === 'card' ? await this.adoptCard(tenantId, event) : await this.sync(tenantId, event);
    const refusal = synced.refusal;
    if (refusal) {
      logger.warn('stripe event refused: its object is not the tenant\'s', { event_id: event.id, type: event.type, tenant_id: tenantId, reason: refusal });
      await this.deps.processed.mark(event.id, event.type, now, refusal);
      return 'ignored';
    }
    await this.deps.publisher.publish(tenantId, {
      id: `stripe:${event.id}`,
      type: `stripe.${event.type}`,
      actor: { type: 'stripe' },
      occurredAt: event.createdAt,
      data: { stripe_event_id: event.id, object_id: event.object.id, ...synced.data },
    });
    await this.deps.entitlements.announce(tenantId);
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

  /**
   * A card the tenant set up (Stripe Checkout in setup mode): it becomes the customer's and the
   * subscription's default, open invoices are paid with it at once, and the tenant hears of it
   * (`payment_method.updated`, one per setup however many events announce it).
   */
  private async adoptCard(tenantId: string, event: ProviderEvent): Promise<Synced> {
    const owned = (await this.deps.tenants.get(tenantId)).stripe_customer_id;
    if (event.customerId !== owned) return { refusal: notOwned('setup intent', event.object.id, event.customerId ?? '', owned) };
    const adopted = await this.deps.cards.adoptCard(event.object.id);
    if (!adopted) return { refusal: null };
    if (adopted.customerId !== owned) return { refusal: notOwned('setup intent', event.object.id, adopted.customerId, owned) };
    const { card } = adopted;
    await this.deps.publisher.publish(tenantId, {
      id: `card:${event.object.id}`,
      type: 'payment_method.updated',
      actor: { type: 'stripe' },
      occurredAt: adopted.setUpAt,
      data: {
        payment_method: { id: card.id, brand: card.brand, last4: card.last4, exp_month: card.expMonth, exp_year: card.expYear, default: true },
        paid_invoices: adopted.paidInvoices,
        unpaid_invoices: adopted.unpaidInvoices,
      },
    });
    return { refusal: null };
  }

  /**
   * Mirrors the event's object into the tenant; a reason instead when the object is another
   * customer's. For an invoice, the event also carries its hosted page (where the tenant pays
   * or confirms a payment that needs 3-D Secure).
   */
  private async sync(tenantId: string, event: ProviderEvent): Promise<Synced> {
    if (event.object.kind === 'other' || event.object.kind === 'payment_method' || event.object.kind === 'card') return { refusal: null };
    const owned = (await this.deps.tenants.get(tenantId)).stripe_customer_id;
    if (event.object.kind === 'customer') {
      // Billing details changed in Stripe (the customer portal, the Dashboard): the profile follows.
      if (event.object.id !== owned) return { refusal: notOwned('customer', event.object.id, event.object.id, owned) };
      await this.deps.tenants.setBillingDetails(tenantId, await this.deps.provider.getBillingDetails(owned));
      return { refusal: null };
    }
    const readAt = new Date();
    if (event.object.kind === 'subscription') {
      const sub = await this.deps.provider.getSubscription(event.object.id);
      if (sub.customerId !== owned) return { refusal: notOwned('subscription', sub.id, sub.customerId, owned) };
      await this.deps.mirror.save(tenantId, sub, readAt);
      if (sub.status === 'canceled') await this.invoiceLeftovers(tenantId, owned, sub.id);
      return { refusal: null };
    }
    const invoice = await this.deps.provider.getInvoice(event.object.id);
    if (invoice.customerId !== owned) return { refusal: notOwned('invoice', invoice.id, invoice.customerId, owned) };
    await this.deps.invoices.save(storedInvoice(invoice, tenantId), readAt);
    return { refusal: null, data: { hosted_invoice_url: invoice.hostedInvoiceUrl } };
  }

  /**
   * A subscription that ended with items still waiting for its next invoice (overage left
   * pending after its renewal draft was finalized, then a cancel at period end): no invoice of
   * its will come, so they are invoiced now, once (keyed by the subscription), never left
   * uncharged. Stripe's own final invoice (an immediate cancel) leaves none.
   */
  private async invoiceLeftovers(tenantId: string, customerId: string, subscriptionId: string): Promise<void> {
    if (!(await this.deps.provider.hasPendingItems(customerId, subscriptionId))) return;
    const readAt = new Date();
    const invoice = await this.deps.provider.invoicePendingItems(customerId, subscriptionId, `leftover-items:${subscriptionId}`);
    await this.deps.invoices.save(storedInvoice(invoice, tenantId), readAt);
  }
}

const notOwned = (kind: string, id: string, customerId: string, owned: string | null): string =>
  `${kind} ${id} belongs to customer ${customerId || '(none)'}, not to the tenant's ${owned ?? '(none)'}`;
