import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OverageBiller } from '../../src/app/overage/biller';
import { startTestApi, type TestApi } from '../support/local-api';
import { overageDepsOf } from '../support/overage';

/**
 * Where a monthly period's overage lands, by the minute its period ends (SPEC section 5): the
 * hourly run bills a period at the first full hour at least 5 minutes (the close grace) after
 * its end; Stripe finalizes the renewal draft an hour after the end. A run before that puts the
 * items on the draft; from :55 to :00 the run comes with or after the finalization, and the
 * items wait, pending, for the next renewal. Either way: billed once, on one invoice.
 */
interface ApiInvoice {
  id: string;
  status: string;
  billing_reason: string;
  period_end: string;
  total: number;
  lines: { kind: string; amount: number }[];
}

const HOUR = 3_600_000;
/** A slow machine: each usage batch takes this long (wall time) before the aggregator runs. */
const SLOW_CONSUMER_MS = 2_000;

const CASES = [
  // Due at :05, billed at 01:00, the very instant the draft finalizes (Stripe's step comes first).
  { minute: 0, label: ':00', invoice: 'next' },
  { minute: 30, label: ':30', invoice: 'closing' },
  { minute: 54, label: ':54', invoice: 'closing' },
  // Due at 01:00 exactly: the 01:00 run lists periods ended strictly before 00:55, so 02:00 bills it.
  { minute: 55, label: ':55', invoice: 'next' },
  { minute: 59, label: ':59', invoice: 'next' },
] as const;

const at = (iso: string, minute: number) => new Date(Date.parse(iso) + minute * 60_000);

const overageItems = async (api: TestApi, tenantId: string) => {
  const customer = (await api.stripe.customers.list({ limit: 100 })).data.find((c) => c.metadata.tenant_id === tenantId);
  const items = await api.stripe.invoiceItems.list({ customer: customer?.id ?? '', limit: 100 });
  return items.data.filter((i) => i.metadata?.kind === 'overage');
};

const invoicesOf = async (api: TestApi, token: string): Promise<ApiInvoice[]> => {
  const { invoices } = (await (await api.call('/invoices?limit=100', { token })).json()) as { invoices: { id: string }[] };
  const out: ApiInvoice[] = [];
  for (const i of invoices) out.push(((await (await api.call(`/invoices/${i.id}`, { token })).json()) as { invoice: ApiInvoice }).invoice);
  return out;
};

/** Every overage line on the tenant's invoices, with the invoice carrying it. */
const overageLines = async (api: TestApi, token: string) =>
  (await invoicesOf(api, token)).flatMap((invoice) => invoice.lines.filter((l) => l.kind === 'overage').map((line) => ({ invoice, line })));

/** The overage worker's biller, over the stack's table and Stripe (as the worker builds it). */
const billerOf = (api: TestApi): OverageBiller => new OverageBiller(overageDepsOf(api));

const track = async (api: TestApi, token: string) => {
  // 2,000 API calls over the starter quota: $20.00. No settle: the clock moves right after.
  const res = await api.call('/usage/track', { method: 'POST', token, json: { resource_type: 'api_calls', usage_amount: 12_000 } });
  expect(res.status).toBe(202);
};

describe('overage of a monthly period by the minute it ends, on a slow machine', () => {
  let api: TestApi;
  const tokens = new Map<number, string>();
  /** The simulated time at which each usage batch was aggregated. */
  const aggregatedAt: string[] = [];

  beforeAll(async () => {
    api = await startTestApi({
      start: new Date('2027-01-10T00:00:00Z'),
      stripeLatencyMs: 20,
      wrapUsageConsumer: (handler) => async (event, context) => {
        await delay(SLOW_CONSUMER_MS);
        aggregatedAt.push(api.stack.clock.now().toISOString());
        return handler(event, context);
      },
    });
    for (const { minute } of CASES) {
      await api.advanceTo(at('2027-01-10T00:00:00Z', minute));
      tokens.set(minute, (await api.subscribe(`org-hb-${minute}`)).token);
    }
    // Every tenant's usage still on the queue (in the slow consumer) when the clock is told to move.
    for (const token of tokens.values()) await track(api, token);
    // The periods end on 2027-02-10 at those minutes; the next renewals come on 2027-03-10.
    await api.advanceTo('2027-03-10T03:00:00Z');
  });
  afterAll(async () => api.stack.stop());

  it('aggregates usage at the time it was sent, however slow the consumer, before the clock moves on', () => {
    expect(aggregatedAt.length).toBeGreaterThan(0);
    for (const t of aggregatedAt) expect(t < '2027-01-10T01:00:00.000Z', `aggregated at ${t}`).toBe(true);
  });

  it.each(CASES)('bills a period ending at $label once, on the $invoice renewal invoice', async ({ minute, invoice: expected }) => {
    const token = tokens.get(minute) ?? '';
    const periodStart = at('2027-01-10T00:00:00Z', minute);
    const items = await overageItems(api, `org-hb-${minute}`);
    expect(items.map((i) => [i.amount, i.metadata?.period_start])).toEqual([[2_000, periodStart.toISOString()]]);

    const lines = await overageLines(api, token);
    expect(lines).toHaveLength(1);
    const [{ invoice, line } = { invoice: null, line: null }] = lines;
    expect(line?.amount).toBe(2_000);
    const closingEnd = at('2027-02-10T00:00:00Z', minute).toISOString();
    const nextEnd = at('2027-03-10T00:00:00Z', minute).toISOString();
    expect(invoice).toMatchObject({
      billing_reason: 'subscription_cycle',
      status: 'paid',
      period_end: expected === 'closing' ? closingEnd : nextEnd,
      total: 9_900 + 2_000,
    });
  });

  it('bills none of them again: not by two runs at once, not on the following renewal', async () => {
    const biller = billerOf(api);
    for (const { minute } of CASES) {
      const start = at('2027-01-10T00:00:00Z', minute).toISOString();
      const runs = await Promise.all([biller.billPeriod(`org-hb-${minute}`, start), biller.billPeriod(`org-hb-${minute}`, start)]);
      expect(runs.map((r) => r.outcome)).toEqual(['already_billed', 'already_billed']);
    }
    await api.advanceTo('2027-04-10T03:00:00Z');
    for (const { minute } of CASES) {
      expect(await overageItems(api, `org-hb-${minute}`)).toHaveLength(1);
      expect(await overageLines(api, tokens.get(minute) ?? '')).toHaveLength(1);
    }
  });
});

describe('usage aggregated only after the renewals that would have carried it (what CI saw)', () => {
  let api: TestApi;
  let token = '';
  let release: () => void = () => undefined;
  let gate: Promise<void> = Promise.resolve();

  beforeAll(async () => {
    api = await startTestApi({
      start: new Date('2027-01-10T00:00:00Z'),
      wrapUsageConsumer: (handler) => async (event, context) => {
        await gate;
        return handler(event, context);
      },
    });
    token = (await api.subscribe('org-hb-late')).token;
    gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    await track(api, token);
    // The raw clock, past both renewals, while the record still waits for the aggregator.
    await api.stack.clock.advanceTo(new Date('2027-03-10T03:00:00Z'));
    release();
    await api.stack.settle();
  });
  afterAll(async () => api.stack.stop());

  it('counts it in its own period and bills it once, on the next renewal: late, never lost, never twice', async () => {
    const history = (await (await api.call('/usage/history?granularity=period&from=2027-01-01T00:00:00Z&to=2027-04-01T00:00:00Z', { token })).json()) as {
      items: { resource_type: string; start: string; quantity: number }[];
    };
    expect(history.items.find((i) => i.resource_type === 'api_calls')).toMatchObject({ start: '2027-01-10T00:00:00.000Z', quantity: 12_000 });

    // Billed by the first hourly run after it was counted: pending, as both renewals are past.
    await api.advanceTo(new Date(api.stack.clock.now().getTime() + HOUR));
    const pending = await overageItems(api, 'org-hb-late');
    expect(pending.map((i) => [i.amount, i.metadata?.period_start, i.invoice])).toEqual([[2_000, '2027-01-10T00:00:00.000Z', null]]);
    expect(await overageLines(api, token)).toEqual([]);

    await api.advanceTo('2027-04-10T03:00:00Z');
    const lines = await overageLines(api, token);
    expect(lines.map(({ invoice, line }) => [invoice.period_end, invoice.status, line.amount])).toEqual([['2027-04-10T00:00:00.000Z', 'paid', 2_000]]);
    expect(await overageItems(api, 'org-hb-late')).toHaveLength(1);
  });
});
