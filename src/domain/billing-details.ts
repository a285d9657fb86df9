/**
 * A tenant's billing details (SPEC section 4): who is billed, where (the country decides the tax),
 * and its tax IDs, validated the way Stripe validates them before anything is sent.
 */

export interface PostalAddress {
  readonly line1: string | null;
  readonly line2: string | null;
  readonly city: string | null;
  readonly state: string | null;
  readonly postal_code: string | null;
  /** ISO 3166-1 alpha-2, upper case. */
  readonly country: string;
}

export interface TaxId {
  readonly type: TaxIdType;
  /** Upper case, without spaces, dots or dashes (as Stripe stores it). */
  readonly value: string;
}

export interface BillingDetails {
  readonly name: string | null;
  readonly email: string | null;
  readonly address: PostalAddress | null;
  readonly tax_ids: readonly TaxId[];
}

export const NO_BILLING_DETAILS: BillingDetails = { name: null, email: null, address: null, tax_ids: [] };

/**
 * An address that gives only its country (all tax needs).
 *
 * @example
 * addressIn('GB') // { line1: null, line2: null, city: null, state: null, postal_code: null, country: 'GB' }
 */
export const addressIn = (country: string): PostalAddress => ({ line1: null, line2: null, city: null, state: null, postal_code: null, country });

/** ISO 3166-1 alpha-2 codes (officially assigned), plus `XK` (Kosovo), which Stripe accepts. */
const COUNTRY_CODES = `AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT
BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR
GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH
KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ
NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ
SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF
WS XK YE YT ZA ZM ZW`;

const COUNTRIES: ReadonlySet<string> = new Set(COUNTRY_CODES.split(/\s+/));

/**
 * Whether `code` is a country Stripe takes in an address.
 *
 * @example
 * isCountry('DE') // true; isCountry('UK') // false (the code is GB)
 */
export const isCountry = (code: string): boolean => COUNTRIES.has(code);

/**
 * What Stripe Tax still needs to place a customer (its `customer_tax_location_invalid`
 * otherwise): a country; in the US a ZIP code; in Canada a postal code or a province.
 * Null when the address is enough.
 *
 * @example
 * taxLocationProblem(addressIn('US')) // { field: 'address.postal_code', message: 'required in the US: ...' }
 */
export const taxLocationProblem = (address: PostalAddress | null): { field: string; message: string } | null => {
  if (!address?.country) return { field: 'address.country', message: 'required before the first charge: give it here or with POST /customer' };
  if (address.country === 'US' && !/^\d{5}(-\d{4})?$/.test(address.postal_code ?? ''))
    return { field: 'address.postal_code', message: 'required in the US: a 5-digit ZIP code, for Stripe Tax to place the customer' };
  if (address.country === 'CA' && !address.postal_code && !address.state)
    return { field: 'address.postal_code', message: 'required in Canada (or address.state): for Stripe Tax to place the customer' };
  return null;
};

/**
 * VAT number formats of the EU member states, after the prefix (Greece's prefix is `EL`), and
 * Northern Ireland's `XI`, as Stripe's `eu_vat` type takes them.
 */
const EU_VAT: Readonly<Record<string, RegExp>> = {
  AT: /^U\d{8}$/,
  BE: /^[01]\d{9}$/,
  BG: /^\d{9,10}$/,
  CY: /^\d{8}[A-Z]$/,
  CZ: /^\d{8,10}$/,
  DE: /^\d{9}$/,
  DK: /^\d{8}$/,
  EE: /^\d{9}$/,
  EL: /^\d{9}$/,
  ES: /^[A-Z0-9]\d{7}[A-Z0-9]$/,
  FI: /^\d{8}$/,
  FR: /^[A-HJ-NP-Z0-9]{2}\d{9}$/,
  HR: /^\d{11}$/,
  HU: /^\d{8}$/,
  IE: /^(\d{7}[A-W][A-IW]?|\d[A-Z+*]\d{5}[A-W])$/,
  IT: /^\d{11}$/,
  LT: /^(\d{9}|\d{12})$/,
  LU: /^\d{8}$/,
  LV: /^\d{11}$/,
  MT: /^\d{8}$/,
  NL: /^\d{9}B\d{2}$/,
  PL: /^\d{10}$/,
  PT: /^\d{9}$/,
  RO: /^\d{2,10}$/,
  SE: /^\d{12}$/,
  SI: /^\d{8}$/,
  SK: /^\d{10}$/,
  XI: /^(\d{9}|\d{12}|GD\d{3}|HA\d{3})$/,
};

/** The tax ID types we take (a subset of Stripe's list), each with its format and an example. */
export const TAX_ID_FORMATS = {
  eu_vat: { test: (v: string) => EU_VAT[v.slice(0, 2)]?.test(v.slice(2)) ?? false, example: 'DE123456789' },
  gb_vat: { test: (v: string) => /^GB(\d{9}|\d{12})$/.test(v), example: 'GB123456789' },
  ch_vat: { test: (v: string) => /^CHE\d{9}(MWST|TVA|IVA)$/.test(v), example: 'CHE123456789MWST' },
  no_vat: { test: (v: string) => /^\d{9}MVA$/.test(v), example: '123456789MVA' },
  us_ein: { test: (v: string) => /^\d{9}$/.test(v), example: '12-3456789' },
  au_abn: { test: (v: string) => /^\d{11}$/.test(v), example: '12345678912' },
  ca_bn: { test: (v: string) => /^\d{9}$/.test(v), example: '123456789' },
  nz_gst: { test: (v: string) => /^\d{8,9}$/.test(v), example: '123456789' },
  in_gst: { test: (v: string) => /^\d{2}[A-Z]{5}\d{4}[A-Z][1-9A-Z]Z[0-9A-Z]$/.test(v), example: '12ABCDE3456FGZH' },
  za_vat: { test: (v: string) => /^4\d{9}$/.test(v), example: '4123456789' },
} as const satisfies Record<string, { test: (value: string) => boolean; example: string }>;

export type TaxIdType = keyof typeof TAX_ID_FORMATS;

export const TAX_ID_TYPES = Object.keys(TAX_ID_FORMATS) as [TaxIdType, ...TaxIdType[]];

/**
 * A tax ID as Stripe stores it: upper case, without the spaces, dots and dashes people type.
 *
 * @example
 * normalizeTaxId('de 123.456.789') // 'DE123456789'
 */
export const normalizeTaxId = (value: string): string => value.replace(/[\s.\-]/g, '').toUpperCase();

/**
 * Why a (normalized) tax ID is not valid for its type, or null when it is.
 *
 * @example
 * taxIdProblem({ type: 'gb_vat', value: 'GB12345' }) // 'not a valid gb_vat number (e.g. GB123456789)'
 */
export const taxIdProblem = (id: TaxId): string | null => {
  const format = TAX_ID_FORMATS[id.type];
  return format.test(id.value) ? null : `not a valid ${id.type} number (e.g. ${format.example})`;
};
