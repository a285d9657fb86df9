import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/local-api';
import { expectJson as body } from '../support/http';

/**
 * `GET /admin/reports/revenue` (SPEC section 7) over a scripted year of tenants that start,
 * upgrade, downgrade, churn and come back: the MRR movements equal a table computed by hand from
 * the catalog's prices, and the invoiced figures reconcile to the cent with the invoices the
 * tenants see through the API.
 */
let api: TestApi;
let admin = '';
const tokens: Record<string, string> = {};

interface Mrr {
  starting: number;
  new: number;
  expansion: number;
  contraction: number;
  churn: number;
  reactivation: number;
  ending: number;
}
interface Row {
  month: string;
  currency: string;
  mrr: Mrr;
  invoiced: { invoices: number; subscription: number; proration: number; usage: number; other: number; discount: number; tax: number; total: number };
  credits: number;
  refunds: number;
}
interface InvoiceSummary {
  id: string;
  status: string;
  currency: string;
  total: number;
  created_at: string;
}
interface InvoiceLine {
  kind: string;
  amount: number;
}

const report = (query: string) => api.call(`/admin/reports/revenue?${query}`, { token: admin });

beforeAll(async () => {
  api = await startTestApi({ start: new Date('2027-01-01T00:30:00Z') });
  admin = await api.token({ admin: true, userId: 'ops-rev' });

  // January 1: A starter monthly ($99), B business annual ($7,990 a year), C professional in
  // EUR on a 14-day trial (nothing until January 15).
  tokens.a = (await api.subscribe('rev-a', { plan_id: 'starter' })).token;
  tokens.b = (await api.subscribe('rev-b', { plan_id: 'business', billing_cycle: 'annual' })).token;
  tokens.c = (await api.subscribe('rev-c', { plan_id: 'professional', currency: 'eur', trial_days: 14 })).token;

  // February 10: a $5.00 credit to B and a $10.00 refund of A's January invoice.
  await api.advanceTo('2027-02-10T00:30:00Z');
  const paidA = (await body<{ invoices: InvoiceSummary[] }>(await api.call('/invoices?limit=100', { token: tokens.a }))).invoices.find((i) => i.status === 'paid');
  if (!paidA) throw new Error('A has no paid invoice');
  const act = (tenant: string, action: string, json: unknown) =>
    api.call(`/admin/tenants/${tenant}/${action}`, { method: 'POST', token: admin, json, headers: { 'idempotency-key': randomUUID() } });
  await body(await act('rev-b', 'credit', { amount: 500, currency: 'usd', reason: 'support goodwill' }));
  await body(await act('rev-a', 'refund', { invoice_id: paidA.id, amount: 1_000, reason: 'double seat' }));

  // March 10: A upgrades to professional at once; C asks to go down to starter at its period end (March 15).
  await api.advanceTo('2027-03-10T00:30:00Z');
  await body(await api.call('/subscriptions/update', { method: 'POST', token: tokens.a, json: { plan_id: 'professional' } }));
  await body(await api.call('/subscriptions/update', { method: 'POST', token: tokens.c, json: { plan_id: 'starter' } }));

  // May 5: A leaves.
  await api.advanceTo('2027-05-05T00:30:00Z');
  await body(await api.call('/subscriptions/cancel', { method: 'POST', token: tokens.a, json: { immediately: true } }));

  // August 2: A comes back on starter and uses 2,000 API calls over its 10,000 ($20.00 of overage).
  await api.advanceTo('2027-08-02T00:30:00Z');
  await api.subscribe('rev-a', { plan_id: 'starter' });
  expect((await api.call('/usage/track', { method: 'POST', token: tokens.a, json: { resource_type: 'api_calls', usage_amount: 12_000 } })).status).toBe(202);
  await api.advanceTo('2027-12-31T23:00:00Z');
}, 600_000);
afterAll(async () => api.stack.stop());

/** Month by month from January to December 2027, the values listed (the rest carry on). */
const months = (changes: Record<string, Partial<Mrr>>, currency: string, opening = 0): Mrr[] => {
  const out: Mrr[] = [];
  let starting = opening;
  for (let m = 1; m <= 12; m += 1) {
    const c = { new: 0, expansion: 0, contraction: 0, churn: 0, reactivation: 0, ...changes[String(m)] };
    const ending = starting + c.new + c.expansion + c.reactivation - c.contraction - c.churn;
    out.push({ starting, ...c, ending });
    starting = ending;
  }
  return out;
};

describe('GET /admin/reports/revenue', () => {
  it('moves MRR month by month exactly as the scripted year says', async () => {
    const { months: rows } = await body<{ months: Row[] }>(await report('from=2027-01&to=2027-12'));
    const usd = rows.filter((r) => r.currency === 'usd');
    const eur = rows.filter((r) => r.currency === 'eur');
    expect(usd.map((r) => r.month)).toEqual(['01', '02', '03', '04', '05', '06', '07', '08', '09', '10', '11', '12'].map((m) => `2027-${m}`));
    // USD: A 9,900 and B 799,000 / 12 = 66,583.33 -> 66,583 new in January; A up to 29,900 in March
    // (+20,000); A gone in May (-29,900); A back on starter in August (+9,900, a return, not new).
    expect(usd.map((r) => r.mrr)).toEqual(months({ 1: { new: 76_483 }, 3: { expansion: 20_000 }, 5: { churn: 29_900 }, 8: { reactivation: 9_900 } }, 'usd'));
    // EUR: C pays from the end of its trial on January 15 (29,900), down to starter on March 15 (-20,000).
    expect(eur.map((r) => r.mrr)).toEqual(months({ 1: { new: 29_900 }, 3: { contraction: 20_000 } }, 'eur'));
    // The credit and the refund, apart from invoiced revenue.
    expect(usd.map((r) => [r.credits, r.refunds])).toEqual(usd.map((r) => (r.month === '2027-02' ? [500, 1_000] : [0, 0])));
    // Hand-computed months: January invoices A's $99 and B's $7,990; February and April only
    // renewals; June and July nothing at all in USD (A gone, B annual).
    expect(usd.find((r) => r.month === '2027-01')?.invoiced).toEqual({ invoices: 2, subscription: 808_900, proration: 0, usage: 0, other: 0, discount: 0, tax: 0, total: 808_900 });
    expect(usd.find((r) => r.month === '2027-02')?.invoiced).toMatchObject({ invoices: 1, subscription: 9_900, usage: 0, total: 9_900 });
    expect(usd.find((r) => r.month === '2027-04')?.invoiced).toMatchObject({ invoices: 1, subscription: 29_900, usage: 0, total: 29_900 });
    for (const month of ['2027-06', '2027-07']) expect(usd.find((r) => r.month === month)?.invoiced.total).toBe(0);
    // The $20.00 of overage is usage revenue, once, in the year.
    expect(usd.reduce((s, r) => s + r.invoiced.usage, 0)).toBe(2_000);
    // EUR January: the trial's zero invoice and the first professional one.
    expect(eur.find((r) => r.month === '2027-01')?.invoiced).toMatchObject({ invoices: 2, subscription: 29_900, total: 29_900 });
  });

  it('reconciles with the mirrored invoices to the cent, month by month and line kind by line kind', async () => {
    const { months: rows } = await body<{ months: Row[] }>(await report('from=2027-01&to=2027-12'));
    const expected = new Map<string, { invoices: number; total: number; usage: number; subscription: number; proration: number }>();
    for (const token of [tokens.a, tokens.b, tokens.c]) {
      const { invoices } = await body<{ invoices: InvoiceSummary[] }>(await api.call('/invoices?limit=100', { token }));
      for (const summary of invoices) {
        if (!['open', 'paid', 'uncollectible'].includes(summary.status) || !summary.created_at.startsWith('2027')) continue;
        const { invoice } = await body<{ invoice: { lines: InvoiceLine[] } }>(await api.call(`/invoices/${summary.id}`, { token }));
        const key = `${summary.created_at.slice(0, 7)}|${summary.currency}`;
        const e = expected.get(key) ?? { invoices: 0, total: 0, usage: 0, subscription: 0, proration: 0 };
        const sum = (kind: string) => invoice.lines.filter((l) => l.kind === kind).reduce((s, l) => s + l.amount, 0);
        expected.set(key, {
          invoices: e.invoices + 1,
          total: e.total + summary.total,
          usage: e.usage + sum('overage'),
          subscription: e.subscription + sum('subscription'),
          proration: e.proration + sum('proration'),
        });
      }
    }
    expect(expected.size).toBeGreaterThan(10);
    for (const row of rows) {
      const e = expected.get(`${row.month}|${row.currency}`) ?? { invoices: 0, total: 0, usage: 0, subscription: 0, proration: 0 };
      const { invoices, total, usage, subscription, proration } = row.invoiced;
      expect({ month: row.month, currency: row.currency, invoices, total, usage, subscription, proration }).toEqual({ month: row.month, currency: row.currency, ...e });
      const i = row.invoiced;
      expect(i.subscription + i.proration + i.usage + i.other - i.discount + i.tax).toBe(i.total);
    }
    // March holds A's upgrade: 22 of March's 31 days at professional less the same at starter,
    // rounded per line as Stripe does: 21,219 - 7,026.
    expect(rows.find((r) => r.month === '2027-03' && r.currency === 'usd')?.invoiced.proration).toBe(14_193);
  });

  it('reports a range: months before it only set the starting MRR, and a currency alone', async () => {
    const { months: rows } = await body<{ months: Row[] }>(await report('from=2027-06&to=2027-09&currency=usd'));
    expect(rows.map((r) => [r.month, r.currency, r.mrr.starting, r.mrr.ending])).toEqual([
      ['2027-06', 'usd', 66_583, 66_583],
      ['2027-07', 'usd', 66_583, 66_583],
      ['2027-08', 'usd', 66_583, 76_483],
      ['2027-09', 'usd', 76_483, 76_483],
    ]);
    expect(rows.find((r) => r.month === '2027-08')?.mrr.reactivation).toBe(9_900);
  });

  it('refuses bad ranges naming the field, and answers 403 to a tenant', async () => {
    const fieldOf = async (query: string) => JSON.stringify(await body(await report(query), 400));
    expect(await fieldOf('from=2027-13')).toContain('from');
    expect(await fieldOf('from=2027-05&to=2027-04')).toContain('to');
    expect(await fieldOf('from=2024-01&to=2027-12')).toContain('36 months');
    expect(await fieldOf('currency=jpy')).toContain('currency');
    expect((await report('from=2027-01&to=2027-02')).status).toBe(200);
    expect((await api.call('/admin/reports/revenue', { token: tokens.a })).status).toBe(403);
  });
});
