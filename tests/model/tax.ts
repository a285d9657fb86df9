/**
 * Tax as SPEC section 4a states it (issue 17), typed in by hand from SPEC: prices are
 * tax-exclusive, the seller is in Ireland, and the local Stripe Tax collects VAT at a fixed rate
 * in the countries below and nothing in the US (an account not registered there). Reference
 * model only: nothing here is shared with `src/` or `local/`.
 */
import { divRoundHalfUp } from './money';

/** The billing countries the model knows (SPEC's table, plus the US); a simulated tenant is in one of them. */
export const COUNTRIES = ['US', 'GB', 'DE', 'FR', 'NL', 'IE', 'ES', 'IT'] as const;
export type Country = (typeof COUNTRIES)[number];

export const SELLER_COUNTRY: Country = 'IE';

/** The EU member states among COUNTRIES (the United Kingdom is not one). */
export const EU_MEMBER_STATES: readonly Country[] = ['DE', 'FR', 'NL', 'IE', 'ES', 'IT'];

/** Standard VAT, in whole percent, where the seller collects it (SPEC 4a). The US: none. */
export const VAT_PERCENT: Record<Country, number> = { US: 0, GB: 20, DE: 19, FR: 20, NL: 21, IE: 23, ES: 21, IT: 22 };

export type TaxIdType = 'eu_vat' | 'gb_vat';
export interface TaxIdInput {
  readonly type: TaxIdType;
  readonly value: string;
}

export type TaxReason = 'standard_rated' | 'reverse_charge' | 'not_collecting';

/** How every line of one customer's invoices is taxed. */
export interface TaxRule {
  readonly country: Country;
  /** The percentage charged: the country's VAT, or 0 (reverse charge, not collecting). */
  readonly percent: number;
  readonly reason: TaxReason;
}

/**
 * Who pays what: the US is not taxed (not collecting); an EU business (an `eu_vat` ID) in a
 * member state other than the seller's is reverse charged (0, the customer accounts for the
 * VAT); everyone else, an Irish business and a British one with a `gb_vat` ID included, pays
 * their country's VAT.
 * @example taxRule('DE', [{ type: 'eu_vat', value: 'DE123456789' }]) // { country: 'DE', percent: 0, reason: 'reverse_charge' }
 * @example taxRule('GB', [{ type: 'gb_vat', value: 'GB123456789' }]) // { country: 'GB', percent: 20, reason: 'standard_rated' }
 */
export const taxRule = (country: Country, taxIds: readonly TaxIdInput[] = []): TaxRule => {
  if (!(country in VAT_PERCENT)) throw new Error(`model: no tax rate for ${country} (SPEC 4a's table)`);
  if (country === 'US') return { country, percent: 0, reason: 'not_collecting' };
  const euBusiness = taxIds.some((id) => id.type === 'eu_vat');
  if (euBusiness && country !== SELLER_COUNTRY && EU_MEMBER_STATES.includes(country)) return { country, percent: 0, reason: 'reverse_charge' };
  return { country, percent: VAT_PERCENT[country], reason: 'standard_rated' };
};

/**
 * The tax on one tax-exclusive line: amount x percent / 100, rounded half up, away from zero for a
 * negative (credit) line, so that a credit mirrors the debit it undoes.
 * @example lineTax(7_900, 20)  // 1_580
 * @example lineTax(-2_633, 19) // -500 (500.27)
 * @example lineTax(4_950, 19)  // 941 (940.5 rounds up)
 */
export const lineTax = (amount: number, percent: number): number => {
  if (!Number.isSafeInteger(amount) || !Number.isSafeInteger(percent) || percent < 0) throw new RangeError(`lineTax takes whole minor units and a whole percent, got ${amount} at ${percent}%`);
  const magnitude = divRoundHalfUp(BigInt(Math.abs(amount)) * BigInt(percent), 100n);
  return amount < 0 && magnitude > 0 ? -magnitude : magnitude;
};
