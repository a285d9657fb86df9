import type { Subscription } from '../../domain/subscription';
import type { SubscriptionDiscount } from '../../domain/coupons';
import type { ProviderDiscount, ProviderInvoice, ProviderSubscription, ProviderTax } from '../ports/payments';
import type { Invoice, InvoiceTax } from '../ports/invoices';
import type { StoredSubscription } from '../ports/subscriptions';

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

/** A provider subscription as we store it. */
export const storedSubscription = (sub: ProviderSubscription, tenantId: string): StoredSubscription => ({
  id: sub.id,
  tenant_id: tenantId,
  plan_id: sub.planId,
  billing_cycle: sub.cycle,
  currency: sub.currency,
  status: sub.status,
  trial_end: iso(sub.trialEnd),
  current_period_start: sub.periodStart.toISOString(),
  current_period_end: sub.periodEnd.toISOString(),
  cancel_at_period_end: sub.cancelAtPeriodEnd,
  canceled_at: iso(sub.canceledAt),
  pending_change: sub.pendingChange
    ? { plan_id: sub.pendingChange.planId, billing_cycle: sub.pendingChange.cycle, effective_at: sub.pendingChange.effectiveAt.toISOString() }
    : null,
  created_at: sub.createdAt.toISOString(),
  stripe_customer_id: sub.customerId,
  stripe_price_id: sub.priceId,
  unit_amount: sub.unitAmount,
  billing_cycle_anchor: sub.billingCycleAnchor.toISOString(),
  ended_at: iso(sub.endedAt),
  discount: discountView(sub.discount),
});

/** A provider discount in the API's words: the coupon id is the catalog's (`securenet_` dropped). */
const discountView = (d: ProviderDiscount | null): SubscriptionDiscount | null =>
  d === null
    ? null
    : {
        code: d.code,
        coupon_id: d.couponId.replace(/^securenet_/, ''),
        name: d.name,
        ...(d.percentOff !== null ? { percent_off: d.percentOff } : {}),
        ...(d.amountOff !== null ? { amount_off: d.amountOff } : {}),
        duration: d.duration,
        ends_at: iso(d.endsAt),
      };

/** The SPEC section 8 subscription shape (no Stripe ids beyond our own `id`). */
export const subscriptionView = (sub: StoredSubscription): Subscription => ({
  id: sub.id,
  tenant_id: sub.tenant_id,
  plan_id: sub.plan_id,
  billing_cycle: sub.billing_cycle,
  currency: sub.currency,
  status: sub.status,
  trial_end: sub.trial_end,
  current_period_start: sub.current_period_start,
  current_period_end: sub.current_period_end,
  cancel_at_period_end: sub.cancel_at_period_end,
  canceled_at: sub.canceled_at,
  pending_change: sub.pending_change,
  created_at: sub.created_at,
  discount: sub.discount ?? null,
});

export const storedInvoice = (invoice: ProviderInvoice, tenantId: string): Invoice => ({
  id: invoice.id,
  tenant_id: tenantId,
  subscription_id: invoice.subscriptionId,
  number: invoice.number,
  status: invoice.status,
  billing_reason: invoice.billingReason,
  currency: invoice.currency,
  subtotal: invoice.subtotal,
  total_discount: invoice.totalDiscount,
  discounts: invoice.discounts.map((d) => ({ name: d.name, code: d.code, amount: d.amount })),
  total_excluding_tax: invoice.totalExcludingTax,
  tax: invoice.tax,
  total: invoice.total,
  taxes: invoice.taxes.map(taxView),
  reverse_charge: invoice.taxes.some((t) => t.reverseCharge),
  amount_paid: invoice.amountPaid,
  amount_due: invoice.amountDue,
  attempt_count: invoice.attemptCount,
  next_payment_attempt: iso(invoice.nextPaymentAttempt),
  period_start: invoice.periodStart.toISOString(),
  period_end: invoice.periodEnd.toISOString(),
  hosted_invoice_url: invoice.hostedInvoiceUrl,
  invoice_pdf: invoice.invoicePdf,
  created_at: invoice.createdAt.toISOString(),
  lines: invoice.lines.map((l) => ({
    description: l.description,
    amount: l.amount,
    quantity: l.quantity,
    kind: l.kind,
    period_start: l.periodStart.toISOString(),
    period_end: l.periodEnd.toISOString(),
    taxes: l.taxes.map(taxView),
    discount_amount: l.discountAmount,
  })),
});

const taxView = (t: ProviderTax): InvoiceTax => ({
  amount: t.amount,
  taxable_amount: t.taxableAmount,
  percentage: t.percentage,
  country: t.country,
  jurisdiction: t.jurisdiction,
  taxability_reason: t.reason,
  reverse_charge: t.reverseCharge,
});

/** A mirror written before invoices carried tax or discounts (an older local `.data/`) reads as untaxed and undiscounted. */
const withTaxFields = (invoice: Invoice): Invoice => ({
  ...invoice,
  total_excluding_tax: invoice.total_excluding_tax ?? invoice.total - invoice.tax,
  taxes: invoice.taxes ?? [],
  reverse_charge: invoice.reverse_charge ?? false,
  total_discount: invoice.total_discount ?? 0,
  discounts: invoice.discounts ?? [],
  lines: invoice.lines.map((l) => ({ ...l, taxes: l.taxes ?? [], discount_amount: l.discount_amount ?? 0 })),
});

/** The list view leaves the lines out. */
export const invoiceSummary = (invoice: Invoice) => {
  const { lines: _lines, tenant_id: _t, ...summary } = withTaxFields(invoice);
  return summary;
};
export const invoiceDetail = (invoice: Invoice) => {
  const { tenant_id: _t, ...detail } = withTaxFields(invoice);
  return detail;
};
