import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDemo, startWebhookReceiver, type DemoSummary, type DemoTenantSummary, type WebhookReceiver } from '../../local/demo';
import { startTestApi, type TestApi } from '../support/local-api';

/**
 * `npm run demo` against a fresh stack (which allows loopback webhook receivers, as
 * `npm start -- --allow-local-webhooks` does): everything the demo says it made is read back
 * through the API, as the billing page and the admin tab read it. The demo itself uses the API,
 * tokens and the clock route only.
 */
let api: TestApi;
let receiver: WebhookReceiver;
let summary: DemoSummary;

interface Tax {
  amount: number;
  taxable_amount: number;
  percentage: number | null;
  country: string | null;
  reverse_charge: boolean;
}
interface Invoice {
  id: string;
  status: string;
  billing_reason: string | null;
  subtotal: number;
  tax: number;
  total: number;
  amount_paid: number;
  reverse_charge: boolean;
  taxes: Tax[];
  lines: { kind: string; amount: number; description: string | null }[];
}
interface Subscription {
  status: string;
  plan_id: string;
  billing_cycle: string;
  trial_end: string | null;
  pending_change: { plan_id: string; billing_cycle: string; effective_at: string } | null;
}

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  // A minute that is not on the hour: the demo moves to :20 itself.
  api = await startTestApi({ start: new Date('2027-03-03T08:47:13Z'), allowLocalWebhookTargets: true });
  // As npm run demo runs it: the receiver lives only as long as the demo, so the endpoint ends disabled.
  summary = await runDemo({ baseUrl: api.stack.apiUrl, issueToken: (request) => api.token(request), webhookUrls: [receiver.url], disableWebhookAtEnd: true });
}, 120_000);

afterAll(async () => {
  await api.stack.stop();
  await receiver.close();
});

const tenant = (key: string): DemoTenantSummary => {
  const found = summary.tenants.find((t) => t.id === `demo-${key}`);
  if (!found) throw new Error(`the demo made no demo-${key}`);
  return found;
};

const get = async <T>(key: string, path: string): Promise<T> => {
  const res = await api.call(path, { token: tenant(key).token });
  const text = await res.text();
  expect(res.status, `${path} for demo-${key}: ${text}`).toBe(200);
  return JSON.parse(text) as T;
};

const subscription = async (key: string) => (await get<{ subscription: Subscription }>(key, '/subscriptions/current')).subscription;

/** Every invoice with its lines, oldest first. */
const invoices = async (key: string): Promise<Invoice[]> => {
  const { invoices: list } = await get<{ invoices: { id: string }[] }>(key, '/invoices?limit=100');
  const out: Invoice[] = [];
  for (const { id } of list.reverse()) out.push((await get<{ invoice: Invoice }>(key, `/invoices/${id}`)).invoice);
  return out;
};

const charged = (list: Invoice[]) => list.filter((i) => i.total > 0);

describe('npm run demo', () => {
  it('makes six tenants in three currencies with sign-in links, over two months of simulated time', () => {
    expect(summary.created).toBe(true);
    expect(summary.tenants.map((t) => t.id)).toEqual(['demo-northwind', 'demo-brightline', 'demo-kastner', 'demo-lumen', 'demo-meridian', 'demo-harbour']);
    expect(new Set(summary.tenants.map((t) => t.currency))).toEqual(new Set(['usd', 'eur', 'gbp']));
    for (const t of summary.tenants) expect(t.signInUrl).toBe(`${api.stack.apiUrl.replace('127.0.0.1', 'localhost')}/#token=${t.token}`);
    expect(Date.parse(summary.to) - Date.parse(summary.from)).toBeGreaterThan(60 * 86_400_000);
  });

  it('leaves every charged invoice paid, Lumen\'s after a declined card and a new one through Checkout', async () => {
    for (const t of summary.tenants) for (const invoice of await invoices(t.id.slice('demo-'.length))) expect(invoice.status, `${t.id} ${invoice.id}`).toBe('paid');

    const { events } = await get<{ events: { type: string }[] }>('lumen', '/events?limit=100');
    expect(events.filter((e) => e.type === 'stripe.invoice.payment_failed').length).toBeGreaterThanOrEqual(2);
    expect(events.map((e) => e.type)).toContain('payment_method.updated');
    const cards = await get<{ payment_methods: { last4: string; default: boolean }[] }>('lumen', '/payment-methods');
    expect(cards.payment_methods.find((c) => c.default)?.last4).toBe('4242');
    expect((await subscription('lumen')).status).toBe('active');
    // The first charged invoice is the one that was declined: paid after several attempts, then a renewal.
    const lumen = charged(await invoices('lumen'));
    expect(lumen.length).toBeGreaterThanOrEqual(2);
    expect(lumen.at(-1)?.billing_reason).toBe('subscription_cycle');
  });

  it('shows Northwind\'s trial, API-call overage on a renewal and the upgrade\'s proration', async () => {
    const list = await invoices('northwind');
    expect(list[0]?.total).toBe(0); // the trial
    const renewal = list.find((i) => i.billing_reason === 'subscription_cycle' && i.lines.some((l) => l.kind === 'overage'));
    expect(renewal?.lines.find((l) => l.kind === 'overage')?.amount).toBe(5_000); // 15,000 calls on a 10,000-call plan, 1 cent each
    const upgrade = list.find((i) => i.lines.some((l) => l.kind === 'proration'));
    expect(upgrade?.lines.filter((l) => l.kind === 'proration').map((l) => Math.sign(l.amount))).toEqual(expect.arrayContaining([-1, 1]));
    expect(upgrade?.lines.find((l) => l.kind === 'overage')?.amount).toBe(2_000);
    expect(upgrade?.amount_paid).toBe(upgrade?.total);
    expect(await subscription('northwind')).toMatchObject({ plan_id: 'professional', status: 'active', pending_change: null });
  });

  it('has Brightline\'s downgrade pending and Meridian\'s taken effect', async () => {
    const brightline = await subscription('brightline');
    expect(brightline).toMatchObject({ plan_id: 'business', status: 'active', pending_change: { plan_id: 'professional', billing_cycle: 'monthly' } });
    expect(Date.parse(brightline.pending_change?.effective_at ?? '')).toBeGreaterThan(Date.parse(summary.to));

    expect(await subscription('meridian')).toMatchObject({ plan_id: 'professional', pending_change: null });
    // Business until the period the downgrade was asked in ended, Professional since.
    const plans = charged(await invoices('meridian')).map((i) => i.lines.filter((l) => l.kind === 'subscription').map((l) => l.amount));
    expect(plans[0]).toEqual([79_900]);
    expect(plans.length).toBeGreaterThanOrEqual(3);
    for (const renewal of plans.slice(1)) expect(renewal).toEqual([29_900]);
  });

  it('taxes the UK and French tenants, reverse-charges the German business, and taxes nothing in the US', async () => {
    for (const [key, country, percentage] of [
      ['brightline', 'GB', 20],
      ['lumen', 'FR', 20],
    ] as const) {
      for (const invoice of charged(await invoices(key))) {
        expect(invoice.taxes.map((t) => [t.country, t.percentage, t.reverse_charge])).toEqual([[country, percentage, false]]);
        expect(invoice.tax).toBe(Math.round((invoice.subtotal * percentage) / 100));
        expect(invoice.total).toBe(invoice.subtotal + invoice.tax);
      }
    }
    const kastner = charged(await invoices('kastner'));
    expect(kastner.length).toBeGreaterThanOrEqual(2);
    for (const invoice of kastner) expect(invoice).toMatchObject({ reverse_charge: true, tax: 0, total: invoice.subtotal });
    for (const invoice of charged(await invoices('meridian'))) expect(invoice.tax).toBe(0);
  });

  it('bills overage lines: storage for Brightline (taxed), devices for Kastner on a monthly invoice of its annual plan', async () => {
    const brightline = (await invoices('brightline')).filter((i) => i.lines.some((l) => l.kind === 'overage'));
    // 20 GB, then 30 GB over 100 GB, at 80p each, on the two renewals.
    expect(brightline.map((i) => i.lines.filter((l) => l.kind === 'overage').map((l) => l.amount))).toEqual([[1_600], [2_400]]);
    for (const invoice of brightline) expect(invoice.tax).toBe(Math.round((invoice.subtotal * 20) / 100));
    const kastner = (await invoices('kastner')).find((i) => i.lines.some((l) => l.kind === 'overage'));
    expect(kastner?.lines).toEqual([expect.objectContaining({ kind: 'overage', amount: 30_000 })]); // 60 devices x EUR 5
    expect(kastner?.reverse_charge).toBe(true);
  });

  it('gives every tenant usage this period and daily history for the usage tab', async () => {
    for (const t of summary.tenants) {
      const key = t.id.slice('demo-'.length);
      const current = await get<{ period: { start: string; end: string }; usage: Record<string, { quantity: number }> }>(key, '/usage/current');
      for (const resource of ['users', 'devices', 'storage_gb', 'api_calls', 'alerts']) expect(current.usage[resource]?.quantity, `${t.id} ${resource}`).toBeGreaterThan(0);
      const days = await get<{ items: { start: string }[] }>(
        key,
        `/usage/history?granularity=day&resource_type=api_calls&from=${encodeURIComponent(current.period.start)}&to=${encodeURIComponent(summary.to)}&limit=100`,
      );
      expect(new Set(days.items.map((d) => d.start)).size, t.id).toBeGreaterThanOrEqual(5);
    }
  });

  it('delivered Northwind\'s events to its webhook endpoint, then disabled it', async () => {
    expect(summary.webhook).toMatchObject({ tenantId: 'demo-northwind', url: receiver.url, enabled: false });
    const { webhooks } = await get<{ webhooks: { url: string; enabled: boolean }[] }>('northwind', '/webhooks');
    expect(webhooks).toEqual([expect.objectContaining({ url: receiver.url, enabled: false })]);
    const { deliveries } = await get<{ deliveries: { event_type: string; status: string }[] }>('northwind', '/webhooks/deliveries?limit=100');
    expect(deliveries.length).toBeGreaterThan(5);
    expect(new Set(deliveries.map((d) => d.event_type))).toEqual(
      expect.objectContaining(new Set(['subscription.created', 'invoice.paid', 'payment.succeeded', 'usage.threshold_reached', 'overage.billed'])),
    );
    expect(deliveries.every((d) => d.status === 'succeeded')).toBe(true);
    expect(receiver.received()).toBeGreaterThanOrEqual(deliveries.length);
  });

  it('fills the admin overview: MRR in three currencies, Harbour\'s trial ending this week, this month\'s overage', async () => {
    const admin = await api.call('/admin/overview', { token: summary.admin.token });
    expect(admin.status).toBe(200);
    const overview = (await admin.json()) as {
      mrr: Record<string, number>;
      trials_ending_7d: { tenant_id: string }[];
      subscriptions: { by_status: Record<string, number> };
      overage_revenue_current_period: Record<string, number>;
    };
    expect(Object.keys(overview.mrr).sort()).toEqual(['eur', 'gbp', 'usd']);
    expect(Object.values(overview.mrr).every((amount) => amount > 0)).toBe(true);
    expect(summary.admin.mrr).toEqual(overview.mrr);
    expect(overview.trials_ending_7d.map((t) => t.tenant_id)).toEqual(['demo-harbour']);
    expect(overview.subscriptions.by_status).toMatchObject({ active: 5, trialing: 1 });
    expect(overview.overage_revenue_current_period).toEqual({ gbp: 2_400 }); // Brightline's second renewal, this month
  });

  it('fills the revenue report: MRR per month and currency ending at the overview\'s, the upgrade and downgrade as movements, usage revenue apart', async () => {
    const res = await api.call(`/admin/reports/revenue?from=${summary.from.slice(0, 7)}&to=${summary.to.slice(0, 7)}`, { token: summary.admin.token });
    expect(res.status).toBe(200);
    const { months } = (await res.json()) as { months: DemoSummary['revenue'] };
    expect(months).toEqual(summary.revenue);
    const last = summary.to.slice(0, 7);
    // Every tenant's MRR contribution adds up to the overview's (annual / 12, rounded per tenant there,
    // once over the sum in the overview: the same here, Kastner being the only annual tenant).
    expect(Object.fromEntries(months.filter((m) => m.month === last).map((m) => [m.currency, m.mrr.ending]))).toEqual(summary.admin.mrr);
    // All six started in the first month (Harbour is still on trial: no MRR yet).
    expect(months.filter((m) => m.month === summary.from.slice(0, 7)).every((m) => m.mrr.starting === 0 && m.mrr.new > 0)).toBe(true);
    // Northwind's upgrade and Meridian's downgrade in USD, Brightline's downgrade still pending.
    const usd = months.filter((m) => m.currency === 'usd');
    expect(usd.reduce((s, m) => s + m.mrr.expansion, 0)).toBeGreaterThan(0);
    expect(usd.reduce((s, m) => s + m.mrr.contraction, 0)).toBeGreaterThan(0);
    expect(months.filter((m) => m.currency === 'gbp').reduce((s, m) => s + m.mrr.contraction, 0)).toBe(0);
    // Overage revenue apart, in every currency the demo bills overage in.
    expect(new Set(months.filter((m) => m.invoiced.usage > 0).map((m) => m.currency))).toEqual(new Set(['usd', 'eur', 'gbp']));
  });

  it('finds the demo on a second run and makes nothing', async () => {
    const again = await runDemo({ baseUrl: api.stack.apiUrl, issueToken: (request) => api.token(request) });
    expect(again.created).toBe(false);
    expect(again.tenants.map((t) => [t.id, t.status])).toEqual(summary.tenants.map((t) => [t.id, t.status]));
    expect(again.to).toBe(summary.to);
  });
});
