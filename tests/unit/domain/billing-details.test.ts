import { describe, expect, it } from 'vitest';
import { addressIn, isCountry, normalizeTaxId, taxIdProblem, taxLocationProblem, type TaxIdType } from '../../../src/domain/billing-details';

describe('isCountry', () => {
  it.each([['DE', true], ['GB', true], ['US', true], ['XK', true], ['UK', false], ['EU', false], ['de', false], ['', false]])('%s -> %s', (code, ok) => {
    expect(isCountry(code)).toBe(ok);
  });
});

describe('normalizeTaxId', () => {
  it('drops spaces, dots and dashes and upper-cases, as Stripe stores tax IDs', () => {
    expect(normalizeTaxId(' de 123.456-789 ')).toBe('DE123456789');
  });
});

describe('taxIdProblem', () => {
  const valid: [TaxIdType, string][] = [
    ['eu_vat', 'DE123456789'],
    ['eu_vat', 'ATU12345678'],
    ['eu_vat', 'FRAB123456789'],
    ['eu_vat', 'NL123456789B01'],
    ['eu_vat', 'IE1234567WA'],
    ['eu_vat', 'ESA1234567Z'],
    ['eu_vat', 'EL123456789'],
    ['gb_vat', 'GB123456789'],
    ['gb_vat', 'GB123456789012'],
    ['ch_vat', 'CHE123456789MWST'],
    ['us_ein', '123456789'],
  ];
  it.each(valid)('accepts %s %s', (type, value) => {
    expect(taxIdProblem({ type, value })).toBeNull();
  });

  const invalid: [TaxIdType, string][] = [
    ['eu_vat', 'DE12345678'],
    ['eu_vat', 'GR123456789'],
    ['eu_vat', 'GB123456789'],
    ['eu_vat', 'XX123456789'],
    ['eu_vat', 'NL123456789'],
    ['gb_vat', 'GB1234567'],
    ['gb_vat', 'DE123456789'],
    ['us_ein', '12345'],
  ];
  it.each(invalid)('refuses %s %s, saying what the format looks like', (type, value) => {
    expect(taxIdProblem({ type, value })).toMatch(new RegExp(`not a valid ${type} number \\(e\\.g\\. `));
  });
});

describe('taxLocationProblem', () => {
  it.each([
    [null, 'address.country'],
    [addressIn('US'), 'address.postal_code'],
    [{ ...addressIn('US'), postal_code: '9410' }, 'address.postal_code'],
    [addressIn('CA'), 'address.postal_code'],
  ])('names what Stripe Tax still needs: %j -> %s', (address, field) => {
    expect(taxLocationProblem(address)?.field).toBe(field);
  });

  it.each([addressIn('DE'), addressIn('GB'), { ...addressIn('US'), postal_code: '94107' }, { ...addressIn('US'), postal_code: '94107-1234' }, { ...addressIn('CA'), state: 'ON' }])(
    'places %j',
    (address) => {
      expect(taxLocationProblem(address)).toBeNull();
    },
  );
});
