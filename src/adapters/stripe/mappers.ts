import type Stripe from 'stripe';
import { TAX_ID_TYPES, type BillingDetails, type TaxIdType } from '../../domain/billing-details';
import { isCurrency } from '../../domain/money';
import { SUBSCRIPTION_STATUSES, type SubscriptionStatus } from '../../domain/subscription';
import type {
  InvoiceLineKind,
  InvoiceStatus,
  PriceTarget,
  ProviderDiscount,
  ProviderEvent,
  ProviderInvoice,
  ProviderInvoiceLine,
  ProviderSubscription,
  ProviderTax,
} from '../../app/ports/payments';
import type { CatalogPrice } from './catalog-sync';

/**
 * Stripe's unix seconds as a Date.
 *
 * @example
 * fromUnix(1_767_225_600) // 2026-01-01T00:00:00.000Z
 */
export const fromUnix = (seconds: number): Date => new Date(seconds * 1000);

/**
 * The id of a Stripe reference, expanded or not.
 *
 * @example
 * idOf('cus_1') // 'cus_1'; idOf({ id: 'cus_1' }) // 'cus_1'; idOf(null) // null
 */
export const idOf = (value: string | { id: string } | null | undefined): string | null =>
  value === null || value === undefined ? null : typeof value === 'string' ? value : value.id;

const asStatus = (status: string): SubscriptionStatus => {
  if ((SUBSCRIPTION_STATUSES as readonly string[]).includes(status)) return status as SubscriptionStatus;
  throw new Error(`unknown Stripe subscription status ${status}`);
};

/**
 * What an invoice line bills: our overage items carry `metadata.kind`; Stripe says the rest.
 *
 * @example
 * lineKind(line) // 'proration' for the credit or charge of a price change
 */
export const lineKind = (line: Stripe.InvoiceLineItem): InvoiceLineKind => {
  if (line.metadata?.kind === 'overage') return 'overage';
  const parent = line.parent;
  if (parent?.subscription_item_details) return parent.subscription_item_details.proration ? 'proration' : 'subscription';
  if (parent?.invoice_item_details?.proration) return 'proration';
  return 'other';
};

/**
 * The subscription's one item (our subscriptions have exactly one price).
 *
 * @example
 * firstItem(sub).price.id // 'price_...'
 */
export const firstItem = (sub: Stripe.Subscription): Stripe.SubscriptionItem => {
  const item = sub.items.data[0];
  if (!item) throw new Error(`subscription ${sub.id} has no items`);
  return item;
};

/**
 * The price a subscription's schedule switches to at the end of the current period, when it
 * switches to another one.
 *
 * @example
 * scheduledPriceChange(sub) // { priceId: 'price_basic', effectiveAt: 2026-02-01T00:00:00.000Z } or null
 */
export const scheduledPriceChange = (sub: Stripe.Subscription): { priceId: string; effectiveAt: Date } | null => {
  const item = firstItem(sub);
  const schedule = sub.schedule && typeof sub.schedule === 'object' ? sub.schedule : null;
  const next = schedule?.phases.find((p) => p.start_date >= item.current_period_end);
  const priceId = idOf(next?.items[0]?.price ?? null);
  if (!next || !priceId || priceId === item.price.id) return null;
  return { priceId, effectiveAt: fromUnix(next.start_date) };
};

/**
 * The subscription's latest invoice when the call expanded it.
 *
 * @example
 * expandedInvoice(sub)?.id // 'in_...' with `expand: ['latest_invoice']`, else undefined
 */
export const expandedInvoice = (sub: Stripe.Subscription): Stripe.Invoice | null =>
  sub.latest_invoice && typeof sub.latest_invoice === 'object' ? sub.latest_invoice : null;

/** The fields a line's or an invoice's tax amounts share in Stripe's types. */
type StripeTaxAmount = Pick<Stripe.Invoice.TotalTax, 'amount' | 'taxable_amount' | 'taxability_reason' | 'tax_rate_details'>;

/**
 * One Stripe tax amount in the port's words, its rate and jurisdiction read from the tax rate
 * it names (`rates`, retrieved beforehand).
 *
 * @example
 * toTax({ amount: 1_580, taxable_amount: 7_900, taxability_reason: 'standard_rated', tax_rate_details: { tax_rate: 'txr_gb' } }, rates)
 * // { amount: 1_580, taxableAmount: 7_900, percentage: 20, country: 'GB', jurisdiction: 'United Kingdom', ... }
 */
export const toTax = (tax: StripeTaxAmount, rates: ReadonlyMap<string, Stripe.TaxRate>): ProviderTax => {
  const rate = tax.tax_rate_details ? rates.get(tax.tax_rate_details.tax_rate) : undefined;
  return {
    amount: tax.amount,
    taxableAmount: tax.taxable_amount ?? 0,
    percentage: rate ? (rate.effective_percentage ?? rate.percentage) : null,
    country: rate?.country ?? null,
    jurisdiction: rate?.jurisdiction ?? null,
    reason: tax.taxability_reason ?? null,
    reverseCharge: tax.taxability_reason === 'reverse_charge',
  };
};

/**
 * A Stripe invoice in the port's words, with all its lines (`lines` is the full list, which the
 * invoice itself carries only in part when it has many) and the tax rates its taxes name.
 *
 * @example
 * toInvoice(invoice, invoice.lines.data, new Map()).total // 4_500
 */
export const toInvoice = (
  invoice: Stripe.Invoice,
  lines: readonly Stripe.InvoiceLineItem[],
  rates: ReadonlyMap<string, Stripe.TaxRate>,
  /** The name and code of each discount (by id) its `total_discount_amounts` name, read beforehand. */
  discounts: ReadonlyMap<string, { name: string | null; code: string | null }> = new Map(),
): ProviderInvoice => {
  if (!invoice.id) throw new Error('invoice preview has no id');
  if (!isCurrency(invoice.currency)) throw new Error(`invoice ${invoice.id} is in unsupported currency ${invoice.currency}`);
  const taxes = (invoice.total_taxes ?? []).map((t) => toTax(t, rates));
  const tax = taxes.reduce((sum, t) => sum + t.amount, 0);
  const taken = (invoice.total_discount_amounts ?? []).filter((d) => d.amount > 0);
  return {
    id: invoice.id,
    customerId: idOf(invoice.customer) ?? '',
    subscriptionId: idOf(invoice.parent?.subscription_details?.subscription ?? null),
    number: invoice.number,
    status: (invoice.status ?? 'draft') as InvoiceStatus,
    billingReason: invoice.billing_reason,
    currency: invoice.currency,
    subtotal: invoice.subtotal,
    totalDiscount: taken.reduce((sum, d) => sum + d.amount, 0),
    discounts: taken.map((d) => {
      const about = discounts.get(idOf(d.discount) ?? '');
      return { name: about?.name ?? null, code: about?.code ?? null, amount: d.amount };
    }),
    totalExcludingTax: invoice.total_excluding_tax ?? invoice.total - tax,
    tax,
    total: invoice.total,
    taxes,
    amountPaid: invoice.amount_paid,
    amountDue: invoice.amount_due,
    attemptCount: invoice.attempt_count,
    nextPaymentAttempt: invoice.next_payment_attempt === null ? null : fromUnix(invoice.next_payment_attempt),
    periodStart: fromUnix(invoice.period_start),
    periodEnd: fromUnix(invoice.period_end),
    hostedInvoiceUrl: invoice.hosted_invoice_url ?? null,
    invoicePdf: invoice.invoice_pdf ?? null,
    createdAt: fromUnix(invoice.created),
    lines: lines.map(
      (line): ProviderInvoiceLine => ({
        id: line.id,
        description: line.description ?? '',
        amount: line.amount,
        quantity: line.quantity ?? 1,
        kind: lineKind(line),
        periodStart: fromUnix(line.period.start),
        periodEnd: fromUnix(line.period.end),
        taxes: (line.taxes ?? []).map((t) => toTax(t, rates)),
        discountAmount: (line.discount_amounts ?? []).reduce((sum, d) => sum + d.amount, 0),
      }),
    ),
  };
};

/** What a subscription's prices are, read from the catalog beforehand. */
export interface SubscriptionPrices {
  /** The current item's price. */
  readonly current: CatalogPrice;
  /** The price a schedule switches to at period end (`scheduledPriceChange`), if any. */
  readonly pending: { readonly target: PriceTarget; readonly effectiveAt: Date } | null;
}

/**
 * A Stripe subscription in the port's words.
 *
 * @example
 * toSubscription(sub, { current: { target, unitAmount: 2_900 }, pending: null }, null).planId // 'pro'
 */
export const toSubscription = (
  sub: Stripe.Subscription,
  prices: SubscriptionPrices,
  latestInvoice: ProviderInvoice | null,
  discount: ProviderDiscount | null = null,
): ProviderSubscription => {
  const item = firstItem(sub);
  const { target, unitAmount } = prices.current;
  return {
    id: sub.id,
    customerId: idOf(sub.customer) ?? '',
    tenantId: sub.metadata?.tenant_id ?? null,
    status: asStatus(sub.status),
    itemId: item.id,
    priceId: item.price.id,
    planId: target.planId,
    cycle: target.cycle,
    currency: target.currency,
    unitAmount,
    trialEnd: sub.trial_end === null ? null : fromUnix(sub.trial_end),
    periodStart: fromUnix(item.current_period_start),
    periodEnd: fromUnix(item.current_period_end),
    billingCycleAnchor: fromUnix(sub.billing_cycle_anchor),
    cancelAtPeriodEnd: sub.cancel_at_period_end,
    canceledAt: sub.canceled_at === null ? null : fromUnix(sub.canceled_at),
    endedAt: sub.ended_at === null ? null : fromUnix(sub.ended_at),
    createdAt: fromUnix(sub.created),
    scheduleId: idOf(sub.schedule),
    pendingChange: prices.pending
      ? { planId: prices.pending.target.planId, cycle: prices.pending.target.cycle, effectiveAt: prices.pending.effectiveAt }
      : null,
    discount,
    latestInvoice,
  };
};

/**
 * A Stripe customer's billing details in our words; tax IDs of types we do not take are left out.
 *
 * @example
 * toBillingDetails(customer, taxIds) // { name: 'Acme', email: null, address: { ..., country: 'DE' }, tax_ids: [...] }
 */
export const toBillingDetails = (customer: Stripe.Customer, taxIds: readonly Stripe.TaxId[]): BillingDetails => {
  const a = customer.address;
  const text = (v: string | null | undefined): string | null => (v ? v : null);
  return {
    name: text(customer.name),
    email: text(customer.email),
    address: a?.country ? { line1: text(a.line1), line2: text(a.line2), city: text(a.city), state: text(a.state), postal_code: text(a.postal_code), country: a.country } : null,
    tax_ids: taxIds.flatMap((t) => ((TAX_ID_TYPES as readonly string[]).includes(t.type) ? [{ type: t.type as TaxIdType, value: t.value }] : [])),
  };
};

/**
 * A verified Stripe event, reduced to what we act on.
 *
 * @example
 * toEvent(event) // { id: 'evt_1', type: 'invoice.paid', object: { kind: 'invoice', id: 'in_1' }, ... }
 */
/** What an event is about, by its object (a setup-mode Checkout Session is about its SetupIntent's card). */
const subjectOf = (event: Stripe.Event): ProviderEvent['object'] => {
  const object = event.data.object as { object?: string; id?: string; mode?: string; setup_intent?: string | { id: string } | null };
  const id = object.id ?? '';
  switch (object.object) {
    case 'subscription':
    case 'invoice':
      return { kind: object.object, id };
    case 'setup_intent':
      return event.type === 'setup_intent.succeeded' ? { kind: 'card', id } : { kind: 'other', id };
    case 'checkout.session': {
      const setupIntent = idOf(object.setup_intent ?? null);
      return event.type === 'checkout.session.completed' && object.mode === 'setup' && setupIntent ? { kind: 'card', id: setupIntent } : { kind: 'other', id };
    }
    case 'payment_method':
      return { kind: 'payment_method', id };
    case 'customer':
      return { kind: 'customer', id };
    case 'tax_id': {
      const customer = idOf((object as { customer?: string | { id: string } | null }).customer ?? null);
      return customer ? { kind: 'customer', id: customer } : { kind: 'other', id };
    }
    default:
      return { kind: 'other', id };
  }
};

export const toEvent = (event: Stripe.Event): ProviderEvent => {
  const object = event.data.object as { object?: string; id?: string; customer?: string | { id: string } | null };
  // A detached payment method has no customer any more; the event's previous attributes name it.
  const previous = (event.data.previous_attributes ?? {}) as { customer?: string | { id: string } | null };
  return {
    id: event.id,
    type: event.type,
    createdAt: fromUnix(event.created),
    object: subjectOf(event),
    customerId: object.object === 'customer' ? (object.id ?? null) : (idOf(object.customer ?? null) ?? idOf(previous.customer ?? null)),
  };
};
