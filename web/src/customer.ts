/**
 * The tenant's billing details as the page edits them (`GET`/`POST /customer`): the country list,
 * the tax ID types, the form's fields and the body sent, and the API's field errors placed on the
 * fields they name. Stripe Tax works from the address, so a country comes before any charge.
 */
import { isCountry, TAX_ID_FORMATS, TAX_ID_TYPES } from '../../src/domain/billing-details';
import type { BillingDetailsInput, Customer, FieldIssue, PostalAddress, TaxId, TaxIdType } from './api/types';

const locale = new Intl.NumberFormat().resolvedOptions().locale;
const regionNames = new Intl.DisplayNames([locale, 'en'], { type: 'region', fallback: 'code' });

/** `GB` -> "United Kingdom" (in the browser's language). */
export const countryName = (code: string): string => regionNames.of(code) ?? code;

export interface Country {
  readonly code: string;
  readonly name: string;
}

const LETTERS = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'];

/** Every country the API takes (the domain's ISO 3166-1 list), by name. */
export const COUNTRIES: readonly Country[] = LETTERS.flatMap((a) => LETTERS.map((b) => `${a}${b}`))
  .filter(isCountry)
  .map((code) => ({ code, name: countryName(code) }))
  .sort((x, y) => x.name.localeCompare(y.name, locale));

export { TAX_ID_TYPES };

export const taxIdLabels: Record<TaxIdType, string> = {
  eu_vat: 'EU VAT number',
  gb_vat: 'UK VAT number',
  ch_vat: 'Swiss VAT number',
  no_vat: 'Norwegian VAT number',
  us_ein: 'US EIN',
  au_abn: 'Australian ABN',
  ca_bn: 'Canadian BN',
  nz_gst: 'New Zealand GST number',
  in_gst: 'Indian GSTIN',
  za_vat: 'South African VAT number',
};

/** What a value of the type looks like, for the field's placeholder. */
export const taxIdExample = (type: TaxIdType): string => TAX_ID_FORMATS[type].example;

/** The tax ID type a country's businesses most likely have (the form's first guess for a new row). */
export const likelyTaxIdType = (country: string): TaxIdType => {
  const byCountry: Readonly<Record<string, TaxIdType>> = {
    GB: 'gb_vat',
    CH: 'ch_vat',
    NO: 'no_vat',
    US: 'us_ein',
    AU: 'au_abn',
    CA: 'ca_bn',
    NZ: 'nz_gst',
    IN: 'in_gst',
    ZA: 'za_vat',
  };
  return byCountry[country] ?? 'eu_vat';
};

/** The address as lines to show, the country by name. */
export const addressLines = (address: PostalAddress): string[] =>
  [
    address.line1,
    address.line2,
    [address.postal_code, address.city].filter(Boolean).join(' '),
    address.state,
    countryName(address.country),
  ].filter((line): line is string => typeof line === 'string' && line.trim().length > 0);

/** One tax ID row of the form; `key` keeps a row's identity (and its errors) while rows are added and removed. */
export interface TaxIdRow {
  readonly key: string;
  readonly type: TaxIdType;
  readonly value: string;
}

export interface DetailsForm {
  readonly name: string;
  readonly email: string;
  readonly line1: string;
  readonly line2: string;
  readonly city: string;
  readonly postal_code: string;
  readonly state: string;
  /** Empty until one is chosen. */
  readonly country: string;
  readonly tax_ids: readonly TaxIdRow[];
}

export type AddressField = 'line1' | 'line2' | 'city' | 'postal_code' | 'state' | 'country';
const ADDRESS_FIELDS: readonly AddressField[] = ['line1', 'line2', 'city', 'postal_code', 'state', 'country'];

/** A stored address as form fields (empty where it has none). */
export const addressFields = (address: PostalAddress | null): Record<AddressField, string> => ({
  line1: address?.line1 ?? '',
  line2: address?.line2 ?? '',
  city: address?.city ?? '',
  postal_code: address?.postal_code ?? '',
  state: address?.state ?? '',
  country: address?.country ?? '',
});

let rowCount = 0;
export const newTaxIdRow = (type: TaxIdType, value = ''): TaxIdRow => ({ key: `tax-id-${++rowCount}`, type, value });

export const formFrom = (customer: Customer): DetailsForm => ({
  name: customer.name ?? '',
  email: customer.email ?? '',
  ...addressFields(customer.address),
  tax_ids: customer.tax_ids.map((t) => newTaxIdRow(t.type, t.value)),
});

/**
 * The address to send: the form's fields, empty ones left out (the API stores them as null).
 * `stored` fills what `fields` does not give, so a country picked alone keeps a stored street.
 */
export const addressInput = (
  fields: Partial<Record<AddressField, string>>,
  stored: PostalAddress | null = null,
): NonNullable<BillingDetailsInput['address']> | undefined => {
  const entries = ADDRESS_FIELDS.map((f) => [f, (fields[f] ?? stored?.[f] ?? '').trim()] as const).filter(([, v]) => v.length > 0);
  const address: Record<string, string> = Object.fromEntries(entries);
  const { country } = address;
  return country ? { ...address, country } : undefined;
};

/**
 * Problems the page can tell before asking the API: an address needs its country, and Stripe
 * Tax places a US customer by its ZIP code and a Canadian one by its postal code or province.
 * Keys are form fields (`country`, `postal_code`).
 */
export const locationProblems = (fields: Partial<Record<AddressField, string>>): Record<string, string> => {
  const country = fields.country?.trim() ?? '';
  const postal = fields.postal_code?.trim() ?? '';
  const anyLine = ADDRESS_FIELDS.some((f) => f !== 'country' && (fields[f]?.trim() ?? '') !== '');
  if (!country) return anyLine ? { country: 'Choose the country of this address.' } : {};
  if (country === 'US' && !/^\d{5}(-\d{4})?$/.test(postal)) return { postal_code: 'A US address needs its 5-digit ZIP code: Stripe Tax places you by it.' };
  if (country === 'CA' && !postal && !(fields.state?.trim() ?? '')) {
    return { postal_code: 'A Canadian address needs its postal code or province: Stripe Tax places you by it.' };
  }
  return {};
};

/** The body of `POST /customer` for the form, and which row each sent tax ID came from (for the errors). */
export const bodyFrom = (form: DetailsForm): { body: BillingDetailsInput; sentRows: readonly string[] } => {
  const sent = form.tax_ids.filter((t) => t.value.trim().length > 0);
  const address = addressInput(form);
  const name = form.name.trim();
  const email = form.email.trim();
  return {
    body: {
      name: name || null,
      email: email || null,
      // Without a country the address cannot be sent; one stored stays as it is.
      ...(address ? { address } : {}),
      tax_ids: sent.map((t): TaxId => ({ type: t.type, value: t.value.trim() })),
    },
    sentRows: sent.map((t) => t.key),
  };
};

/** Form field errors, keyed like the form: `name`, `country`, `tax:<row key>:value`, ...; `form` for the rest. */
export type FieldErrors = Readonly<Record<string, string>>;

/**
 * The API's field errors on the form's fields: `address.country` -> `country`,
 * `tax_ids.1.value` -> the value of the second row sent. What names no field goes under `form`.
 */
export const fieldErrors = (issues: readonly FieldIssue[], sentRows: readonly string[] = []): FieldErrors => {
  const errors: Record<string, string> = {};
  const add = (key: string, message: string) => {
    errors[key] = errors[key] ? `${errors[key]} ${message}` : message;
  };
  for (const { field, message } of issues) {
    const [head, second, third] = field.split('.');
    if (head === 'name' || head === 'email') add(head, message);
    else if (head === 'address') add(second && (ADDRESS_FIELDS as readonly string[]).includes(second) ? second : 'country', message);
    else if (head === 'tax_ids') {
      const row = second === undefined ? undefined : sentRows[Number(second)];
      if (row) add(`tax:${row}:${third === 'type' ? 'type' : 'value'}`, message);
      else add('tax_ids', message);
    } else add('form', message);
  }
  return errors;
};
