/**
 * How the page names the taxes Stripe Tax puts on an invoice (one entry per rate):
 * "VAT 20% (United Kingdom)", the reverse charge statement, a tax not collected.
 */
import type { InvoiceTax } from './api/types';
import { countryName } from './customer';
import { formatPercent } from './format';

export const REVERSE_CHARGE = 'Reverse charge: VAT to be accounted for by the customer';

const GST = new Set(['AU', 'NZ', 'IN', 'SG', 'CA', 'MY']);
const NO_VAT = new Set(['US', 'JP', 'HK']);

/** What the tax is called where it is due. */
const taxName = (country: string | null): string =>
  country === 'US' ? 'Sales tax' : country === 'JP' ? 'JCT' : country !== null && GST.has(country) ? 'GST' : country !== null && !NO_VAT.has(country) ? 'VAT' : 'Tax';

const reasons: Readonly<Record<string, string>> = {
  zero_rated: 'zero rated',
  product_exempt: 'exempt',
  customer_exempt: 'customer exempt',
  not_subject_to_tax: 'not subject to tax',
  not_supported: 'not supported',
  excluded_territory: 'excluded territory',
  jurisdiction_unsupported: 'jurisdiction not supported',
  vat_exempt: 'VAT exempt',
  portion_reduced_rated: 'reduced rate in part',
  reduced_rated: 'reduced rate',
  portion_product_exempt: 'exempt in part',
  standard_rated: '',
  portion_standard_rated: '',
  proportionally_rated: '',
  taxable_basis_reduced: 'reduced basis',
};

/**
 * The label of one tax row.
 *
 * @example
 * taxLabel({ percentage: 20, jurisdiction: 'United Kingdom', country: 'GB', taxability_reason: 'standard_rated', ... }) // "VAT 20% (United Kingdom)"
 */
export const taxLabel = (tax: InvoiceTax): string => {
  if (tax.reverse_charge) return REVERSE_CHARGE;
  const where = tax.jurisdiction ?? (tax.country ? countryName(tax.country) : null);
  const place = where ? ` (${where})` : '';
  if (tax.taxability_reason === 'not_collecting') return `No tax collected${place}`;
  const reason = tax.taxability_reason ? (reasons[tax.taxability_reason] ?? tax.taxability_reason.replace(/_/g, ' ')) : '';
  const rate = tax.percentage === null ? '' : ` ${formatPercent(tax.percentage)}`;
  return `${taxName(tax.country)}${rate}${place}${reason ? `, ${reason}` : ''}`;
};
