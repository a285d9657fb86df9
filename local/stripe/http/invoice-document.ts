import type Stripe from 'stripe';
import { formatAmount, formatDate } from '../billing/money';
import { countryName } from '../billing/tax';
import { ACCOUNT_ADDRESS, ACCOUNT_NAME } from '../config';
import { couponIdOf } from '../objects/discount';

/**
 * What an invoice shows, in the order Stripe's invoice PDF and hosted invoice page show it:
 * header facts, seller and "Bill to", the amount and its state, the lines, the totals and the
 * notes. All wording and number formatting happen here, so the HTML page and the PDF draw the
 * same text and only differ in layout.
 */
export interface InvoiceDocument {
  readonly number: string;
  readonly status: Stripe.Invoice.Status;
  /** `Paid`, `Open`, `Void`, `Uncollectible`, `Draft`. */
  readonly statusLabel: string;
  /** Invoice number, date of issue, date due, date paid or voided, billing period. */
  readonly facts: readonly Fact[];
  readonly seller: Party;
  readonly billTo: Party;
  /** `£94.80 paid on 15 Jan 2026`, `€79.00 due 14 Feb 2026`, ... */
  readonly headline: string;
  /** The invoice's `description` (Stripe's memo). */
  readonly memo: string | null;
  readonly lines: readonly DocumentLine[];
  readonly totals: readonly TotalRow[];
  /** Below the totals: the reverse-charge statement, the invoice's `footer`. */
  readonly notes: readonly string[];
  readonly hostedUrl: string | null;
  readonly pdfUrl: string | null;
  /** Seconds: when the document was issued (finalized), for the PDF's creation date. */
  readonly issuedAt: number;
}

export interface Fact {
  readonly label: string;
  readonly value: string;
}

export interface Party {
  readonly name: string;
  /** Address lines, email, tax IDs. */
  readonly details: readonly string[];
}

export interface DocumentLine {
  readonly description: string;
  /** `15 Jan 2026 – 15 Feb 2026`, or null for a line without a period. */
  readonly period: string | null;
  readonly quantity: string;
  readonly unitPrice: string;
  /** The line's tax rate (`20%`), empty when it is not taxed. */
  readonly tax: string;
  readonly amount: string;
}

export interface TotalRow {
  readonly label: string;
  readonly amount: string;
  /** `Total` and `Amount due` stand out. */
  readonly strong: boolean;
}

/** Where the names behind an invoice's ids are looked up (the endpoint's state has these maps). */
export interface InvoiceSources {
  readonly taxRates: ReadonlyMap<string, Stripe.TaxRate>;
  readonly discounts: ReadonlyMap<string, Stripe.Discount>;
  readonly coupons: ReadonlyMap<string, Stripe.Coupon>;
}

const STATUS_LABELS: Readonly<Record<string, string>> = {
  draft: 'Draft',
  open: 'Open',
  paid: 'Paid',
  uncollectible: 'Uncollectible',
  void: 'Void',
};

/** `1 Grand Canal Square` / `Dublin D02 P820` / `Ireland`, as Stripe prints an address. */
const addressLines = (address: Stripe.Address | null): string[] =>
  address
    ? [
        address.line1,
        address.line2,
        [address.city, address.state, address.postal_code].filter(Boolean).join(' '),
        address.country ? countryName(address.country.toUpperCase()) : null,
      ].filter((line): line is string => Boolean(line))
    : [];

const percent = (value: number): string => `${Number(value.toFixed(4))}%`;

const idOf = (ref: string | { id: string } | null | undefined): string | null => (ref == null ? null : typeof ref === 'string' ? ref : ref.id);

/** A unit amount in minor units, possibly fractional (`unit_amount_decimal`), as money: `£79.00`, `$0.0125`. */
const unitPrice = (decimal: Stripe.Decimal | string | null | undefined, fallback: number, currency: string): string => {
  const minor = decimal == null ? fallback : Number(String(decimal));
  if (!Number.isFinite(minor)) return formatAmount(fallback, currency);
  if (Number.isInteger(minor)) return formatAmount(minor, currency);
  // A sub-cent unit price keeps its digits (`unit_amount_decimal` has up to 12 decimals).
  const zeroDecimal = !formatAmount(1, currency).includes('.');
  const major = Math.abs(minor) / (zeroDecimal ? 1 : 100);
  const [whole, fraction = ''] = major.toFixed(12).replace(/0+$/, '').split('.');
  return formatAmount(minor < 0 ? -1 : 1, currency).replace(/[\d.]+$/, `${whole ?? '0'}.${fraction.padEnd(2, '0')}`);
};

const periodOf = (period: { start: number; end: number } | null | undefined): string | null =>
  period && period.end > period.start ? `${formatDate(period.start)} – ${formatDate(period.end)}` : null;

const rateOf = (sources: InvoiceSources, tax: { tax_rate_details?: { tax_rate: string } | null }): Stripe.TaxRate | undefined =>
  tax.tax_rate_details ? sources.taxRates.get(tax.tax_rate_details.tax_rate) : undefined;

/** `VAT - United Kingdom`: the rate's display name and jurisdiction, as Stripe labels a tax row. */
const taxName = (rate: Stripe.TaxRate | undefined): string =>
  rate ? [rate.display_name, rate.jurisdiction].filter(Boolean).join(' - ') : 'Tax';

const ratePercent = (rate: Stripe.TaxRate | undefined): number => rate?.effective_percentage ?? rate?.percentage ?? 0;

/** One row per tax rate: `VAT - United Kingdom (20% on £79.00)`; a reverse charge says so; "not collecting" shows nothing. */
const taxRows = (invoice: Stripe.Invoice, sources: InvoiceSources): TotalRow[] =>
  (invoice.total_taxes ?? []).flatMap((tax): TotalRow[] => {
    if (tax.taxability_reason === 'not_collecting') return [];
    const rate = rateOf(sources, tax);
    const on = formatAmount(tax.taxable_amount ?? 0, invoice.currency);
    const amount = formatAmount(tax.amount, invoice.currency);
    if (tax.taxability_reason === 'reverse_charge') return [{ label: `Reverse charge: ${taxName(rate)} (0% on ${on})`, amount, strong: false }];
    const included = tax.tax_behavior === 'inclusive' ? ', included' : '';
    return [{ label: `${taxName(rate)} (${percent(ratePercent(rate))} on ${on}${included})`, amount, strong: false }];
  });

/** `Launch (20% off)` or `Welcome (£10.00 off)`: the coupon behind a discount, by name. */
const discountLabel = (ref: string | Stripe.Discount | Stripe.DeletedDiscount, sources: InvoiceSources): string => {
  const discount = sources.discounts.get(typeof ref === 'string' ? ref : ref.id);
  const couponId = discount ? couponIdOf(discount) : null;
  const coupon = couponId ? sources.coupons.get(couponId) : undefined;
  if (!coupon) return 'Discount';
  const off =
    coupon.percent_off != null ? `${percent(coupon.percent_off)} off` : coupon.amount_off != null ? `${formatAmount(coupon.amount_off, coupon.currency ?? '')} off` : null;
  return `${coupon.name ?? coupon.id}${off ? ` (${off})` : ''}`;
};

const lineTax = (line: Stripe.InvoiceLineItem, sources: InvoiceSources): string =>
  (line.taxes ?? [])
    .filter((t) => t.taxability_reason !== 'not_collecting')
    .map((t) => (t.taxability_reason === 'reverse_charge' ? '0%' : percent(ratePercent(rateOf(sources, t)))))
    .join(', ');

const documentLine = (line: Stripe.InvoiceLineItem, sources: InvoiceSources): DocumentLine => {
  const quantity = line.quantity ?? 1;
  return {
    description: line.description ?? '',
    period: periodOf(line.period),
    quantity: String(quantity),
    unitPrice: unitPrice(line.pricing?.unit_amount_decimal, quantity === 0 ? 0 : Math.round(line.amount / quantity), line.currency),
    tax: lineTax(line, sources),
    amount: formatAmount(line.amount, line.currency),
  };
};

/** The span the lines bill (Stripe's invoice `period_*` is the period that just ended on renewals). */
const billingPeriod = (lines: readonly Stripe.InvoiceLineItem[]): string | null => {
  const spans = lines.map((l) => l.period).filter((p) => p && p.end > p.start);
  if (spans.length === 0) return null;
  return periodOf({ start: Math.min(...spans.map((p) => p.start)), end: Math.max(...spans.map((p) => p.end)) });
};

const money = (amount: number, invoice: Stripe.Invoice): string => formatAmount(amount, invoice.currency);

const headlineOf = (invoice: Stripe.Invoice, due: number): string => {
  const t = invoice.status_transitions;
  switch (invoice.status) {
    case 'paid':
      return `${money(invoice.amount_paid, invoice)} paid on ${formatDate(t.paid_at ?? due)}`;
    case 'void':
      return `${money(invoice.total, invoice)} voided on ${formatDate(t.voided_at ?? due)}`;
    case 'uncollectible':
      return `${money(invoice.amount_remaining, invoice)} marked uncollectible on ${formatDate(t.marked_uncollectible_at ?? due)}`;
    case 'open':
      return `${money(invoice.amount_remaining, invoice)} due ${formatDate(due)}`;
    default:
      return `Draft: ${money(invoice.amount_due, invoice)}, not finalized`;
  }
};

/**
 * The document for an invoice: Stripe's invoice PDF and hosted page facts, from the invoice's own
 * snapshot of the customer (`customer_name`, `customer_address`, `customer_tax_ids`), its lines and
 * totals, and the tax rates and coupons its ids name.
 *
 * @example
 * const doc = invoiceDocument(invoice, ctx.state);
 * doc.totals.find((r) => r.label.startsWith('VAT'))?.label; // 'VAT - United Kingdom (20% on £79.00)'
 */
export const invoiceDocument = (invoice: Stripe.Invoice, sources: InvoiceSources): InvoiceDocument => {
  const status = invoice.status ?? 'draft';
  const issued = invoice.status_transitions.finalized_at ?? invoice.created;
  // Charged automatically, an invoice is due when it is issued; sent ones carry `due_date`.
  const due = invoice.due_date ?? issued;
  const t = invoice.status_transitions;
  const period = billingPeriod(invoice.lines.data);
  const facts: Fact[] = [
    { label: 'Invoice number', value: invoice.number ?? invoice.id },
    { label: status === 'draft' ? 'Date created' : 'Date of issue', value: formatDate(issued) },
    { label: 'Date due', value: formatDate(due) },
    ...(t.paid_at ? [{ label: 'Date paid', value: formatDate(t.paid_at) }] : []),
    ...(t.voided_at ? [{ label: 'Date voided', value: formatDate(t.voided_at) }] : []),
    ...(t.marked_uncollectible_at ? [{ label: 'Marked uncollectible', value: formatDate(t.marked_uncollectible_at) }] : []),
    ...(period ? [{ label: 'Billing period', value: period }] : []),
  ];
  const discounts: TotalRow[] = (invoice.total_discount_amounts ?? [])
    .filter((d) => d.amount > 0)
    .map((d) => ({ label: discountLabel(d.discount, sources), amount: money(-d.amount, invoice), strong: false }));
  const reverseCharge = (invoice.total_taxes ?? []).some((tax) => tax.taxability_reason === 'reverse_charge');
  const totals: TotalRow[] = [
    { label: 'Subtotal', amount: money(invoice.subtotal, invoice), strong: false },
    ...discounts,
    { label: 'Total excluding tax', amount: money(invoice.total_excluding_tax ?? invoice.total, invoice), strong: false },
    ...taxRows(invoice, sources),
    { label: 'Total', amount: money(invoice.total, invoice), strong: true },
    ...(invoice.starting_balance !== 0 ? [{ label: 'Applied balance', amount: money(invoice.starting_balance, invoice), strong: false }] : []),
    ...(invoice.pre_payment_credit_notes_amount > 0
      ? [{ label: 'Credit notes', amount: money(-invoice.pre_payment_credit_notes_amount, invoice), strong: false }]
      : []),
    { label: 'Amount paid', amount: money(invoice.amount_paid, invoice), strong: false },
    { label: 'Amount due', amount: money(status === 'void' ? 0 : invoice.amount_remaining, invoice), strong: true },
  ];
  return {
    number: invoice.number ?? invoice.id,
    status,
    statusLabel: STATUS_LABELS[status] ?? status,
    facts,
    seller: { name: invoice.account_name ?? ACCOUNT_NAME, details: addressLines(ACCOUNT_ADDRESS) },
    billTo: {
      name: invoice.customer_name ?? invoice.customer_email ?? idOf(invoice.customer) ?? '',
      details: [
        ...addressLines(invoice.customer_address),
        ...(invoice.customer_name && invoice.customer_email ? [invoice.customer_email] : []),
        ...(invoice.customer_tax_ids ?? []).map((id) => `Customer tax ID (${id.type}): ${id.value ?? ''}`),
      ],
    },
    headline: headlineOf(invoice, due),
    memo: invoice.description,
    lines: invoice.lines.data.map((line) => documentLine(line, sources)),
    totals,
    notes: [...(reverseCharge ? ['Reverse charge: tax to be paid by the customer on the reverse charge basis.'] : []), ...(invoice.footer ? [invoice.footer] : [])],
    hostedUrl: invoice.hosted_invoice_url ?? null,
    pdfUrl: invoice.invoice_pdf ?? null,
    issuedAt: issued,
  };
};
