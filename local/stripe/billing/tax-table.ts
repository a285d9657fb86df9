import { ACCOUNT_COUNTRY } from '../config';

/**
 * The local account's Stripe Tax settings, as data: where the seller is, where it is registered
 * to collect tax and at which standard rate. Stripe Tax knows every jurisdiction's rates and the
 * account's registrations; the local endpoint knows this table only (see docs/local-stripe.md,
 * "Tax"). Rates are the standard VAT rates, without history and without reduced rates.
 */

/** The seller's (head office) country: an Irish company. */
export const SELLER_COUNTRY = ACCOUNT_COUNTRY;

/** EU member states by ISO code. Greece is `GR` here and `EL` in VAT numbers. */
export const EU_MEMBER_STATES: ReadonlySet<string> = new Set([
  'AT', 'BE', 'BG', 'CY', 'CZ', 'DE', 'DK', 'EE', 'ES', 'FI', 'FR', 'GR', 'HR', 'HU', 'IE',
  'IT', 'LT', 'LU', 'LV', 'MT', 'NL', 'PL', 'PT', 'RO', 'SE', 'SI', 'SK',
]);

export interface JurisdictionRate {
  /** Percent, as Stripe's `tax_rate.percentage` shows it (25.5 for 25.5%). */
  readonly percentage: number;
  /** `tax_rate.tax_type`; null where the kind of tax is not known here. */
  readonly taxType: 'vat' | 'gst' | 'jct' | 'sales_tax' | null;
  /** `tax_rate.display_name`, what the invoice calls the tax. */
  readonly displayName: string;
}

const vat = (percentage: number): JurisdictionRate => ({ percentage, taxType: 'vat', displayName: 'VAT' });

/**
 * Registrations: the United Kingdom, and the EU (Ireland at home, the other member states
 * through the One Stop Shop, so a consumer pays their own country's VAT).
 */
export const REGISTERED: Readonly<Record<string, JurisdictionRate>> = {
  GB: vat(20),
  AT: vat(20),
  BE: vat(21),
  BG: vat(20),
  CY: vat(19),
  CZ: vat(21),
  DE: vat(19),
  DK: vat(25),
  EE: vat(24),
  ES: vat(21),
  FI: vat(25.5),
  FR: vat(20),
  GR: vat(24),
  HR: vat(25),
  HU: vat(27),
  IE: vat(23),
  IT: vat(22),
  LT: vat(21),
  LU: vat(17),
  LV: vat(21),
  MT: vat(18),
  NL: vat(21),
  PL: vat(23),
  PT: vat(23),
  RO: vat(21),
  SE: vat(25),
  SI: vat(22),
  SK: vat(23),
};

/**
 * Places the account is not registered in whose statutory rate the tax rate object still shows
 * (`percentage`, with `effective_percentage` 0), as Stripe shows a non-taxable jurisdiction's
 * rate. Other unregistered countries show 0; US sales tax (state and local) is not modelled.
 */
export const NOT_REGISTERED: Readonly<Record<string, JurisdictionRate>> = {
  US: { percentage: 0, taxType: 'sales_tax', displayName: 'Sales Tax' },
  CH: vat(8.1),
  NO: vat(25),
  AU: { percentage: 10, taxType: 'gst', displayName: 'GST' },
  CA: { percentage: 5, taxType: 'gst', displayName: 'GST' },
  NZ: { percentage: 15, taxType: 'gst', displayName: 'GST' },
  SG: { percentage: 9, taxType: 'gst', displayName: 'GST' },
  JP: { percentage: 10, taxType: 'jct', displayName: 'JCT' },
};
