import { describe, expect, it } from 'vitest';
import type { InvoiceSummary } from '../../../web/src/api/types';
import { accessSummary, headroomText, parseMajorUnits, payLink, readableDates, spendCapErrors, spendTone } from '../../../web/src/entitlements';
import { currencyDigits, formatDate, formatRate } from '../../../web/src/format';

// The billing page's reading of GET /entitlements (web/src/entitlements.ts), without a browser:
// the spend-cap amount typed in major units as exact integer minor units, the form's errors,
// the access summary, the "Pay now" link and the headroom in words.

describe('parseMajorUnits', () => {
  it.each([
    ['50', 5_000],
    ['50.00', 5_000],
    ['50.5', 5_050],
    ['0', 0],
    ['0.01', 1],
    ['.5', 50],
    ['50.', 5_000],
    ['1,250.50', 125_050],
    ['1,234,567.89', 123_456_789],
    ['  $ 49.99 ', 4_999],
    ['£12', 1_200],
    ['10.500', 1_050],
    ['007', 700],
    // Floats would get these wrong (0.29 * 100 = 28.999999999999996; 1.005 * 100 = 100.49999999999999).
    ['0.29', 29],
    ['1.10', 110],
    ['100000000', 10_000_000_000],
    ['90071992547409.91', 9_007_199_254_740_991],
  ])('reads %j in an en-US browser as %i minor units', (text, minor) => {
    expect(parseMajorUnits(text, 2, '.')).toEqual({ ok: true, minor });
  });

  it('reads a comma before the cents when no thousands grouping fits, in an en-US browser', () => {
    expect(parseMajorUnits('12,50', 2, '.')).toEqual({ ok: true, minor: 1_250 });
    expect(parseMajorUnits('1,000', 2, '.')).toEqual({ ok: true, minor: 100_000 });
  });

  it('reads the browser convention first in a German browser, and a point before the cents too', () => {
    expect(parseMajorUnits('1.250,50 €', 2, ',')).toEqual({ ok: true, minor: 125_050 });
    expect(parseMajorUnits('12,5', 2, ',')).toEqual({ ok: true, minor: 1_250 });
    expect(parseMajorUnits('50.00', 2, ',')).toEqual({ ok: true, minor: 5_000 });
    expect(parseMajorUnits('1.000', 2, ',')).toEqual({ ok: true, minor: 100_000 });
  });

  it('takes whole units only for a currency without minor units', () => {
    expect(parseMajorUnits('1500', 0, '.')).toEqual({ ok: true, minor: 1_500 });
    expect(parseMajorUnits('1500.5', 0, '.')).toMatchObject({ ok: false, message: 'Enter a whole amount.' });
  });

  it.each([
    ['', /^Enter an amount, for example 50 or 50\.00\.$/],
    ['   ', /^Enter an amount/],
    ['-5', /0 or more/],
    ['\u22125', /0 or more/],
    ['12.345', /^Use at most 2 decimal places\.$/],
    ['abc', /^Enter the amount in digits/],
    ['1e3', /^Enter the amount in digits/],
    ['12.3.4', /^Enter the amount in digits/],
    ['1,23,456', /^Enter the amount in digits/],
    ['.', /^Enter the amount in digits/],
    ['$', /^Enter an amount/],
    ['99999999999999999', /too large/],
  ])('refuses %j with a message for the field', (text, message) => {
    const parsed = parseMajorUnits(text, 2, '.');
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.message).toMatch(message);
  });

  it('is exact for every amount in cents up to 1,000.00, where a float product is not', () => {
    let floatWrong = 0;
    const wrong: string[] = [];
    for (let minor = 0; minor <= 100_000; minor += 1) {
      const text = `${Math.floor(minor / 100)}.${String(minor % 100).padStart(2, '0')}`;
      const parsed = parseMajorUnits(text, 2, '.');
      if (!parsed.ok || parsed.minor !== minor) wrong.push(text);
      if (Number(text) * 100 !== minor) floatWrong += 1;
    }
    expect(wrong).toEqual([]);
    expect(floatWrong).toBeGreaterThan(0);
  });

  it('knows the digits of the billing currencies', () => {
    expect(['usd', 'eur', 'gbp'].map(currencyDigits)).toEqual([2, 2, 2]);
  });
});

describe('spendCapErrors', () => {
  it('puts amount and currency errors beside the amount, in the currency the person typed', () => {
    expect(spendCapErrors([{ field: 'amount', message: 'Too big: expected number to be <=10000000000' }], 'usd')).toEqual({
      amount: 'The cap can be at most $100,000,000.00.',
    });
    expect(spendCapErrors([{ field: 'amount', message: 'at most 10000000000 minor units' }], 'gbp')).toEqual({ amount: 'The cap can be at most £100,000,000.00.' });
    expect(spendCapErrors([{ field: 'amount', message: 'must be 0 or more (minor units)' }], 'usd')).toEqual({ amount: 'Enter an amount of 0 or more.' });
    expect(spendCapErrors([{ field: 'amount', message: 'Too small: expected number to be >=0' }], 'usd')).toEqual({ amount: 'Enter an amount of 0 or more.' });
    expect(spendCapErrors([{ field: 'currency', message: 'must be usd, the currency this tenant is billed in' }], 'usd')).toEqual({
      amount: 'Currency: must be usd, the currency this tenant is billed in.',
    });
  });

  it('keeps what names no field of the form for the form', () => {
    expect(spendCapErrors([{ field: 'body', message: 'unexpected field' }], 'eur')).toEqual({ form: 'unexpected field' });
    expect(spendCapErrors([], 'eur')).toEqual({});
  });
});

const allowed = (value: boolean) => ({ users: value, devices: value, storage_gb: value, api_calls: value, alerts: value });
const reason = (code: string, message = 'x') => ({ code, message, since: null });

describe('accessSummary', () => {
  it('says nothing alarming for plain full access', () => {
    expect(accessSummary({ access: 'full', allowed: allowed(true), reasons: [] })).toEqual({ label: 'Full access', tone: 'good', plain: true });
  });

  it('warns in a grace period or near the spend cap, and says "Limited" once the cap stops metered usage', () => {
    expect(accessSummary({ access: 'full', allowed: allowed(true), reasons: [reason('past_due_grace')] })).toMatchObject({ label: 'Full access', tone: 'warn', plain: false });
    expect(accessSummary({ access: 'full', allowed: allowed(false), reasons: [reason('spend_cap_reached')] })).toMatchObject({ label: 'Limited', tone: 'warn' });
  });

  it('names read-only and blocked access', () => {
    expect(accessSummary({ access: 'read_only', allowed: allowed(false), reasons: [reason('past_due')] })).toMatchObject({ label: 'Read-only', tone: 'bad' });
    expect(accessSummary({ access: 'blocked', allowed: allowed(false), reasons: [reason('canceled')] })).toMatchObject({ label: 'Blocked', tone: 'bad' });
  });
});

describe('readableDates', () => {
  it('writes the API’s ISO dates as the page writes dates and leaves the rest of the message', () => {
    expect(readableDates('Read-only since 2027-05-15: invoice ABC-0003 is unpaid; pay now.')).toBe(
      `Read-only since ${formatDate('2027-05-15T00:00:00Z')}: invoice ABC-0003 is unpaid; pay now.`,
    );
    expect(readableDates('until 2027-06-01T00:00:00.000Z or a higher cap')).toBe(`until ${formatDate('2027-06-01T00:00:00Z')} or a higher cap`);
    expect(readableDates('The subscription is paused.')).toBe('The subscription is paused.');
    expect(readableDates('invoice 2027-13-45')).toBe('invoice 2027-13-45');
  });
});

const invoice = (over: Partial<InvoiceSummary>): Pick<InvoiceSummary, 'id' | 'number' | 'status' | 'hosted_invoice_url'> => ({
  id: 'in_1',
  number: 'ABC-0003',
  status: 'open',
  hosted_invoice_url: 'https://invoice.stripe.com/i/1',
  ...over,
});

describe('payLink', () => {
  const unpaid = reason('past_due', 'Read-only since 2027-05-15: invoice ABC-0003 is unpaid; pay now.');

  it('links the open invoice the reason names', () => {
    const invoices = [invoice({ id: 'in_0', number: 'ABC-0002', hosted_invoice_url: 'https://x/2' }), invoice({})];
    expect(payLink(unpaid, invoices)).toEqual({ url: 'https://invoice.stripe.com/i/1', label: 'ABC-0003' });
  });

  it('takes the only open invoice when the reason names none of those listed, and none when several are open', () => {
    expect(payLink(unpaid, [invoice({ number: 'ABC-0009' })])).toMatchObject({ label: 'ABC-0009' });
    expect(payLink(unpaid, [invoice({ number: 'ABC-0009' }), invoice({ id: 'in_2', number: 'ABC-0010' })])).toBeNull();
    // "ABC-0003" is not "ABC-00031".
    expect(payLink(reason('unpaid', 'invoice ABC-00031 is unpaid'), [invoice({}), invoice({ id: 'in_2', number: 'X' })])).toBeNull();
  });

  it('links nothing for a paid invoice, a link that is not a web address, or a reason about no invoice', () => {
    expect(payLink(unpaid, [invoice({ status: 'paid' })])).toBeNull();
    expect(payLink(unpaid, [invoice({ hosted_invoice_url: 'javascript:alert(1)' })])).toBeNull();
    expect(payLink(unpaid, [invoice({ hosted_invoice_url: null })])).toBeNull();
    expect(payLink(reason('spend_cap_reached'), [invoice({})])).toBeNull();
  });
});

describe('headroomText', () => {
  it('says what is left in the plan and what the next unit costs', () => {
    expect(headroomText('api_calls', { remaining: 12, next_unit_price: 1 }, 'usd')).toBe(`12 calls left in plan, then ${formatRate(1, 'usd')} each`);
    expect(headroomText('users', { remaining: 1, next_unit_price: 1_000 }, 'usd')).toBe(`1 user left in plan, then ${formatRate(1_000, 'usd')} each`);
    expect(headroomText('storage_gb', { remaining: 3, next_unit_price: 100 }, 'eur')).toBe(`3 GB left in plan, then ${formatRate(100, 'eur')} per GB`);
    expect(headroomText('api_calls', { remaining: 0, next_unit_price: 0.8 }, 'gbp')).toBe('None left in plan: £0.008 each from here');
  });

  it('gives no price while the next unit would not be billed, and nothing without a plan', () => {
    expect(headroomText('devices', { remaining: 25, next_unit_price: 0 }, 'usd')).toBe('25 devices left in plan');
    expect(headroomText('devices', { remaining: 0, next_unit_price: 0 }, 'usd')).toBe('None left in plan');
    expect(headroomText('devices', { remaining: null, next_unit_price: 0 }, 'usd')).toBeNull();
  });
});

describe('spendTone', () => {
  it('warns from 80% and is over once reached', () => {
    expect(spendTone({ percent_used: 79.9, reached: false })).toBe('normal');
    expect(spendTone({ percent_used: 80, reached: false })).toBe('warn');
    expect(spendTone({ percent_used: 100, reached: true })).toBe('over');
  });
});
