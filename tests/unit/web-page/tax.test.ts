import { describe, expect, it } from 'vitest';
import type { InvoiceSummary, InvoiceTax } from '../../../web/src/api/types';
import { estimateTax, lastTaxedInvoice } from '../../../web/src/billing';
import { addressInput, bodyFrom, fieldErrors, locationProblems, newTaxIdRow, type DetailsForm } from '../../../web/src/customer';
import { REVERSE_CHARGE, taxLabel } from '../../../web/src/tax';

// The billing page's tax logic (web/src), without a browser: the estimate's integer arithmetic,
// the labels of invoice taxes, and the billing details form's body and errors.

const tax = (over: Partial<InvoiceTax> = {}): InvoiceTax => ({
  amount: 1_580,
  taxable_amount: 7_900,
  percentage: 20,
  country: 'GB',
  jurisdiction: 'United Kingdom',
  taxability_reason: 'standard_rated',
  reverse_charge: false,
  ...over,
});

const taxed = (taxes: InvoiceTax[], over: Partial<Pick<InvoiceSummary, 'reverse_charge' | 'status' | 'created_at'>> = {}) => ({
  taxes,
  reverse_charge: taxes.some((t) => t.reverse_charge),
  status: 'paid' as const,
  created_at: '2027-10-01T00:00:00.000Z',
  ...over,
});

describe('estimateTax', () => {
  it('applies the one rate of the last invoice: 20% of £79.00 is £15.80', () => {
    expect(estimateTax(7_900, taxed([tax()]))).toEqual({ kind: 'rate', percentage: 20, amount: 1_580 });
  });

  it.each([
    [5, 10, 1], // 0.5 -> 1: halves round up
    [50, 19, 10], // 9.5 -> 10
    [1_003, 20, 201], // 200.6
    [1_001, 25.5, 255], // 255.255
    [10_000, 8.875, 888], // 887.5, a rate finer than a basis point
    [123_456_789_012_345, 20, 24_691_357_802_469], // past 2^53 in the product, exact all the same
  ])('rounds %i at %f%% half up to a whole minor unit: %i', (amount, percentage, expected) => {
    expect(estimateTax(amount, taxed([tax({ percentage })]))).toEqual({ kind: 'rate', percentage, amount: expected });
  });

  it('estimates no tax at 0% (a country where tax is not collected)', () => {
    expect(estimateTax(11_900, taxed([tax({ percentage: 0, amount: 0, taxability_reason: 'not_collecting' })]))).toEqual({
      kind: 'rate',
      percentage: 0,
      amount: 0,
    });
  });

  it('estimates 0 under reverse charge', () => {
    expect(estimateTax(7_900, taxed([tax({ percentage: 0, amount: 0, taxability_reason: 'reverse_charge', reverse_charge: true })]))).toEqual({
      kind: 'reverse_charge',
      amount: 0,
    });
  });

  it('does not guess with several rates, no rate, or no invoice', () => {
    expect(estimateTax(7_900, taxed([tax(), tax({ percentage: 5, country: 'CA' })]))).toEqual({ kind: 'unknown' });
    expect(estimateTax(7_900, taxed([tax({ percentage: null })]))).toEqual({ kind: 'unknown' });
    expect(estimateTax(7_900, taxed([]))).toEqual({ kind: 'unknown' });
    expect(estimateTax(7_900, null)).toEqual({ kind: 'unknown' });
  });

  it('counts one rate once when the invoice lists it twice', () => {
    expect(estimateTax(1_000, taxed([tax(), tax({ amount: 20 })]))).toMatchObject({ kind: 'rate', amount: 200 });
  });
});

describe('lastTaxedInvoice', () => {
  it('takes the newest invoice with taxes, a void one aside', () => {
    const older = taxed([tax()], { created_at: '2027-10-01T00:00:00.000Z' });
    const voided = taxed([tax({ percentage: 19 })], { created_at: '2027-11-01T00:00:00.000Z', status: 'void' });
    const untaxed = taxed([], { created_at: '2027-11-02T00:00:00.000Z' });
    expect(lastTaxedInvoice([untaxed, voided, older])).toBe(older);
    expect(lastTaxedInvoice([untaxed])).toBeNull();
  });
});

describe('taxLabel', () => {
  it.each([
    [tax(), 'VAT 20% (United Kingdom)'],
    [tax({ percentage: 25.5, country: 'FI', jurisdiction: 'Finland' }), 'VAT 25.5% (Finland)'],
    [tax({ percentage: 10, country: 'AU', jurisdiction: null }), 'GST 10% (Australia)'],
    [tax({ percentage: 0, amount: 0, country: 'US', jurisdiction: 'United States', taxability_reason: 'not_collecting' }), 'No tax collected (United States)'],
    [tax({ percentage: 0, amount: 0, country: 'DE', jurisdiction: 'Germany', taxability_reason: 'reverse_charge', reverse_charge: true }), REVERSE_CHARGE],
    [tax({ percentage: 0, amount: 0, country: 'IE', jurisdiction: 'Ireland', taxability_reason: 'zero_rated' }), 'VAT 0% (Ireland), zero rated'],
  ])('names %o "%s"', (t, label) => {
    expect(taxLabel(t)).toBe(label);
  });

  it('states the reverse charge as the invoice must', () => {
    expect(REVERSE_CHARGE).toBe('Reverse charge: VAT to be accounted for by the customer');
  });
});

const form = (over: Partial<DetailsForm> = {}): DetailsForm => ({
  name: '',
  email: '',
  line1: '',
  line2: '',
  city: '',
  postal_code: '',
  state: '',
  country: '',
  tax_ids: [],
  ...over,
});

describe('bodyFrom', () => {
  it('sends empty names as null, leaves out empty address fields and empty tax ID rows', () => {
    const filled = newTaxIdRow('gb_vat', ' GB123456789 ');
    const { body, sentRows } = bodyFrom(form({ name: ' Albion ', city: 'Leeds', country: 'GB', tax_ids: [newTaxIdRow('eu_vat'), filled] }));
    expect(body).toEqual({ name: 'Albion', email: null, address: { city: 'Leeds', country: 'GB' }, tax_ids: [{ type: 'gb_vat', value: 'GB123456789' }] });
    expect(sentRows).toEqual([filled.key]);
  });

  it('sends no address without a country (the stored one stays)', () => {
    expect(bodyFrom(form({ city: 'Leeds' })).body).not.toHaveProperty('address');
  });
});

describe('addressInput', () => {
  it('keeps the stored street when only the country and postal code are asked for', () => {
    const stored = { line1: '1 Main St', line2: null, city: 'Springfield', state: null, postal_code: null, country: 'US' };
    expect(addressInput({ country: 'US', postal_code: '94107' }, stored)).toEqual({ line1: '1 Main St', city: 'Springfield', postal_code: '94107', country: 'US' });
  });
});

describe('locationProblems', () => {
  it.each([
    [{ country: 'GB' }, {}],
    [{ city: 'Leeds' }, { country: 'Choose the country of this address.' }],
    [{}, {}],
    [{ country: 'US', postal_code: '9410' }, { postal_code: expect.stringContaining('ZIP code') }],
    [{ country: 'US', postal_code: '94107-1234' }, {}],
    [{ country: 'CA' }, { postal_code: expect.stringContaining('postal code or province') }],
    [{ country: 'CA', state: 'ON' }, {}],
  ])('for %o finds %o', (fields, problems) => {
    expect(locationProblems(fields)).toEqual(problems);
  });
});

describe('fieldErrors', () => {
  it('puts each API field error on the form field it names', () => {
    const errors = fieldErrors(
      [
        { field: 'address.country', message: 'must be an ISO 3166-1 alpha-2 country code' },
        { field: 'tax_ids.1.value', message: 'not a valid gb_vat number' },
        { field: 'tax_ids.0.type', message: 'must be one of eu_vat, ...' },
        { field: 'tax_ids', message: 'too many' },
        { field: 'email', message: 'invalid email' },
        { field: 'body', message: 'malformed JSON' },
      ],
      ['row-a', 'row-b'],
    );
    expect(errors).toEqual({
      country: 'must be an ISO 3166-1 alpha-2 country code',
      'tax:row-b:value': 'not a valid gb_vat number',
      'tax:row-a:type': 'must be one of eu_vat, ...',
      tax_ids: 'too many',
      email: 'invalid email',
      form: 'malformed JSON',
    });
  });
});
