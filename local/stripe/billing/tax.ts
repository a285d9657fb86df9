import type Stripe from 'stripe';
import { invalidRequest, type StripeApiError } from '../errors';
import { newId } from '../ids';
import { taxIdCustomerOf } from '../objects/tax-id';
import { newTaxRate } from '../objects/tax-rate';
import type { StripeState } from '../store';
import type { BillingContext } from './context';
import { basisPoints, type LineTax, type LineTaxer as Taxer } from './tax-math';
import { EU_MEMBER_STATES, type JurisdictionRate, NOT_REGISTERED, REGISTERED, SELLER_COUNTRY } from './tax-table';

/**
 * Stripe Tax as the local endpoint models it: the customer's location is its `address` (country,
 * and a ZIP code in the US), the rate is the registered jurisdiction's from the tax table, an EU
 * business (an `eu_vat` tax ID) in another member state than the seller's is reverse charged, and
 * each (country, rate, behavior) is one `tax_rate` object (`txr_...`) reused by every invoice.
 */

export interface TaxLocation {
  readonly country: string;
  readonly state: string | null;
}

const regionNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
/** Codes CLDR names that are no ISO 3166-1 country (aliases, groupings, reserved codes). */
const NOT_COUNTRIES: ReadonlySet<string> = new Set(['AC', 'CP', 'DG', 'EA', 'EU', 'EZ', 'IC', 'QO', 'TA', 'UK', 'UN', 'XA', 'XB', 'ZZ']);

const isCountry = (code: string): boolean => /^[A-Z]{2}$/.test(code) && !NOT_COUNTRIES.has(code) && regionNames.of(code) !== undefined;

/** `GB` -> `United Kingdom`, the jurisdiction name on Stripe Tax's rates. */
export const countryName = (code: string): string => regionNames.of(code) ?? code;

/**
 * Where Stripe Tax places the customer, or null when it cannot: no address, a country that is no
 * ISO code, a US address without a 5-digit ZIP code, a Canadian one without province or postal
 * code (Stripe's minimum address for each).
 */
export const taxLocationOf = (customer: Stripe.Customer): TaxLocation | null => {
  const address = customer.address ?? null;
  const country = address?.country?.trim().toUpperCase() ?? '';
  if (!address || !isCountry(country)) return null;
  const postal = address.postal_code?.trim() ?? '';
  const state = address.state?.trim() || null;
  if (country === 'US' && !/^\d{5}(-\d{4})?$/.test(postal)) return null;
  if (country === 'CA' && !state && !postal) return null;
  return { country, state };
};

/** `customer.tax` (included with `expand[]=tax`). */
export const customerTax = (customer: Stripe.Customer): Stripe.Customer.Tax => {
  const location = taxLocationOf(customer);
  return {
    automatic_tax: location === null ? 'unrecognized_location' : REGISTERED[location.country] ? 'supported' : 'not_collecting',
    ip_address: null,
    location: location === null ? null : { country: location.country, source: 'billing_address', state: location.state },
    provider: 'stripe',
  };
};

/** The customer's tax IDs, oldest first. */
export const taxIdsOf = (state: StripeState, customer: string): Stripe.TaxId[] =>
  [...state.taxIds.values()].filter((t) => taxIdCustomerOf(t) === customer);

export const TAX_LOCATION_INVALID =
  "The customer's location isn't recognized. Set a valid customer address in order to automatically calculate tax.";

/** Stripe's 400 `customer_tax_location_invalid`. */
export const taxLocationInvalid = (param?: string): StripeApiError =>
  invalidRequest(TAX_LOCATION_INVALID, { code: 'customer_tax_location_invalid', ...(param ? { param } : {}) });

/** Refuses automatic tax for a customer Stripe Tax cannot place. */
export const requireTaxLocation = (customer: Stripe.Customer, param?: string): void => {
  if (taxLocationOf(customer) === null) throw taxLocationInvalid(param);
};

/** `automatic_tax` of a subscription or schedule phase. */
export const subscriptionAutomaticTax = (enabled: boolean): Stripe.Subscription.AutomaticTax => ({
  disabled_reason: null,
  enabled,
  liability: enabled ? { type: 'self' } : null,
});

/** `automatic_tax` of an invoice; the status is set by each computation. */
export const invoiceAutomaticTax = (enabled: boolean): Stripe.Invoice.AutomaticTax =>
  enabled
    ? { disabled_reason: null, enabled: true, liability: { type: 'self' }, provider: 'stripe', status: null }
    : { disabled_reason: null, enabled: false, liability: null, provider: null, status: null };

type Reason = LineTax['reason'];

/** What Stripe Tax decides for a customer: the jurisdiction, its statutory rate and the rate applied. */
interface TaxDecision {
  readonly country: string;
  readonly rate: JurisdictionRate;
  /** Percent actually charged: the statutory rate, or 0 (reverse charge, not registered). */
  readonly effective: number;
  readonly reason: Reason;
}

const decide = (location: TaxLocation, taxIds: readonly Stripe.TaxId[]): TaxDecision => {
  const { country } = location;
  const registered = REGISTERED[country];
  if (!registered)
    return {
      country,
      rate: NOT_REGISTERED[country] ?? { percentage: 0, taxType: null, displayName: 'Tax' },
      effective: 0,
      reason: 'not_collecting',
    };
  const business = taxIds.some((t) => t.type === 'eu_vat');
  if (business && country !== SELLER_COUNTRY && EU_MEMBER_STATES.has(country))
    return { country, rate: registered, effective: 0, reason: 'reverse_charge' };
  return { country, rate: registered, effective: registered.percentage, reason: 'standard_rated' };
};

const isAutomaticRate = (rate: Stripe.TaxRate): boolean => rate.jurisdiction_level !== null;

/** The Stripe Tax rate object for a decision, created on first use and reused by every invoice after. */
const automaticRate = (ctx: BillingContext, d: TaxDecision, inclusive: boolean): Stripe.TaxRate => {
  const same = (r: Stripe.TaxRate): boolean =>
    isAutomaticRate(r) &&
    r.country === d.country &&
    r.percentage === d.rate.percentage &&
    r.effective_percentage === d.effective &&
    r.inclusive === inclusive &&
    r.tax_type === d.rate.taxType &&
    r.display_name === d.rate.displayName;
  for (const rate of ctx.state.taxRates.values()) if (same(rate)) return rate;
  const jurisdiction = countryName(d.country);
  // Stripe Tax's own rates are archived (`active: false`): they are not offered for manual use.
  const rate = newTaxRate({
    id: newId('txr'),
    displayName: d.rate.displayName,
    percentage: d.rate.percentage,
    effectivePercentage: d.effective,
    inclusive,
    active: false,
    country: d.country,
    state: null,
    jurisdiction,
    jurisdictionLevel: 'country',
    description: `${d.rate.displayName} ${jurisdiction}`,
    taxType: d.rate.taxType,
    metadata: undefined,
    now: ctx.now(),
  });
  ctx.state.taxRates.set(rate.id, rate);
  return rate;
};

export type LineTaxer = Taxer<Stripe.InvoiceLineItem>;

const idOf = (ref: string | { id: string } | null | undefined): string | null => (ref == null ? null : typeof ref === 'string' ? ref : ref.id);

/**
 * A line's tax behavior: the one its invoice item was created with, else its price's (now);
 * `unspecified` counts as `exclusive`, the local account's default tax behavior.
 */
const lineTaxBehavior = (ctx: BillingContext, line: Stripe.InvoiceLineItem): 'exclusive' | 'inclusive' => {
  const item = line.parent?.invoice_item_details?.invoice_item ?? line.parent?.subscription_item_details?.invoice_item ?? null;
  const price = idOf(line.pricing?.price_details?.price);
  const behavior = (item ? ctx.state.invoiceItemTaxBehavior.get(item) : undefined) ?? (price ? ctx.state.prices.get(price)?.tax_behavior : undefined);
  return behavior === 'inclusive' ? 'inclusive' : 'exclusive';
};

/**
 * How the invoice's lines are taxed now, or null when they are not: automatic tax is off, or the
 * customer has no usable location (then `automatic_tax.status` is `requires_location_inputs` and
 * the invoice cannot be finalized). Sets `automatic_tax.status`.
 */
export const automaticTaxFor = (ctx: BillingContext, invoice: Stripe.Invoice): LineTaxer | null => {
  if (!invoice.automatic_tax.enabled) return null;
  const customerId = idOf(invoice.customer);
  const customer = customerId ? ctx.state.customers.get(customerId) : undefined;
  const location = customer ? taxLocationOf(customer) : null;
  if (!customer || !location) {
    invoice.automatic_tax.status = 'requires_location_inputs';
    return null;
  }
  invoice.automatic_tax.status = 'complete';
  const decision = decide(location, taxIdsOf(ctx.state, customer.id));
  const rates: { exclusive?: Stripe.TaxRate; inclusive?: Stripe.TaxRate } = {};
  return (line) => {
    const behavior = lineTaxBehavior(ctx, line);
    const rate = (rates[behavior] ??= automaticRate(ctx, decision, behavior === 'inclusive'));
    return { taxRate: rate.id, basisPoints: basisPoints(decision.effective), reason: decision.reason, behavior };
  };
};

/** A draft with automatic tax whose customer Stripe Tax cannot place: finalizing it fails. */
export const finalizationBlocked = (ctx: BillingContext, invoice: Stripe.Invoice): boolean => {
  if (!invoice.automatic_tax.enabled) return false;
  const customerId = idOf(invoice.customer);
  const customer = customerId ? ctx.state.customers.get(customerId) : undefined;
  return !customer || taxLocationOf(customer) === null;
};
