import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOSE_GRACE_MS, OverageBiller, type OverageDeps } from '../../src/app/overage/biller';
import { StripeAdapter } from '../../src/adapters/stripe/stripe-adapter';
import { BillingEventsRepository } from '../../src/adapters/dynamodb/billing-events';
import { createTableRef } from '../../src/adapters/dynamodb/client';
import { OverageRepository } from '../../src/adapters/dynamodb/overages';
import { UsageRepository } from '../../src/adapters/dynamodb/usage';
import { startTestApi, type TestApi } from '../support/local-api';
import { overageDepsOf } from '../support/overage';

// Half past the hour: the hourly run after a period end falls inside the renewal's draft hour.
const START = new Date('2027-10-01T00:30:00Z');
const PERIOD_END = '2027-11-01T00:30:00.000Z';

let api: TestApi;
let admin: string;
beforeAll(async () => {
  api = await startTestApi({ start: START });
  admin = await api.token({ admin: true, userId: 'admin-1' });
});
afterAll(async () => api.stack.stop());

interface InvoiceBody {
  id: string;
  total: number;
  status: string;
  billing_reason: string;
  lines: { kind: string; amount: number; description: string }[];
}

const tableRef = () => createTableRef({ TABLE_NAME: api.stack.tableName, AWS_REGION: 'us-east-1', DYNAMODB_ENDPOINT: api.stack.dynamoEndpoint });

/** Over quota on API calls (+2,000 -> $20.00) and devices (+5 -> $25.00). */
const overuse = async (token: string) => {
  const res = await api.call('/usage/track', {
    method: 'POST',
    token,
    json: { records: [{ resource_type: 'api_calls', usage_amount: 12_000 }, { resource_type: 'devices', usage_amount: 30 }, { resource_type: 'alerts', usage_amount: 10 }] },
  });
  expect(res.status).toBe(202);
  await api.stack.settle();
};

const stripeItems = async (tenantId: string) => {
  const customer = (await api.stripe.customers.list({ limit: 100 })).data.find((c) => c.metadata.tenant_id === tenantId);
  const items = await api.stripe.invoiceItems.list({ customer: customer?.id ?? '', limit: 100 });
  return items.data.filter((i) => i.metadata?.kind === 'overage');
};

const processOverages = (body: Record<string, unknown>, token = admin) =>
  api.call('/admin/usage/process-overages', { method: 'POST', token, json: body });

describe('the overage run (local schedule, local Stripe, DynamoDB Local)', () => {
  it('puts exactly two invoice items, with the SPEC amounts, on the renewal invoice of a tenant over on API calls and devices', async () => {
    const token = (await api.subscribe('org-over')).token;
    await overuse(token);
    const trialToken = (await api.subscribe('org-trial', { trial_days: 14 })).token;
    await api.call('/usage/track', { method: 'POST', token: trialToken, json: { resource_type: 'api_calls', usage_amount: 50_000 } });
    await api.stack.settle();

    // The period closes; the hourly run bills it while the renewal invoice is a draft.
    await api.advanceTo(new Date(Date.parse(PERIOD_END) + 2 * 3_600_000));
    const items = await stripeItems('org-over');
    expect(items.map((i) => [i.metadata?.resource_type, i.amount]).sort()).toEqual([
      ['api_calls', 2_000],
      ['devices', 2_500],
    ]);
    const { invoices } = (await (await api.call('/invoices', { token })).json()) as { invoices: { id: string }[] };
    const renewal = (await (await api.call(`/invoices/${invoices[0]?.id}`, { token })).json()) as { invoice: InvoiceBody };
    expect(renewal.invoice).toMatchObject({ billing_reason: 'subscription_cycle', status: 'paid', total: 9_900 + 2_000 + 2_500 });
    expect(renewal.invoice.lines.filter((l) => l.kind === 'overage').map((l) => l.amount).sort()).toEqual([2_000, 2_500]);

    // Trial usage is tracked, never billed.
    expect(await stripeItems('org-trial')).toEqual([]);
  });

  it('gives an annual plan its own monthly overage invoice, finalized and paid', async () => {
    const token = (await api.subscribe('org-annual', { billing_cycle: 'annual' })).token;
    await overuse(token);
    const { period } = (await (await api.call('/usage/current', { token })).json()) as { period: { start: string; end: string } };
    // Annual plans bill usage per monthly sub-period of the year.
    expect(Date.parse(period.end) - Date.parse(period.start)).toBeLessThan(32 * 86_400_000);
    await api.advanceTo(new Date(Date.parse(period.end) + 2 * 3_600_000));
    expect((await stripeItems('org-annual')).map((i) => i.amount).sort()).toEqual([2_000, 2_500]);
    const { invoices } = (await (await api.call('/invoices', { token })).json()) as { invoices: { id: string; total: number; status: string }[] };
    const overageInvoice = invoices.find((i) => i.total === 4_500);
    expect(overageInvoice?.status).toBe('paid');
    const detail = (await (await api.call(`/invoices/${overageInvoice?.id}`, { token })).json()) as { invoice: InvoiceBody };
    expect(detail.invoice.lines.map((l) => l.kind)).toEqual(['overage', 'overage']);
  });

  it('bills nothing more when run again, twice at once, by the admin route', async () => {
    const runs = await Promise.all([processOverages({ tenant_id: 'org-over' }), processOverages({ tenant_id: 'org-over' })]);
    expect(runs.map((r) => r.status)).toEqual([200, 200]);
    expect(await stripeItems('org-over')).toHaveLength(2);
  });

  it('answers 403 to a tenant token', async () => {
    const token = await api.token({ tenantId: 'org-over' });
    expect((await processOverages({}, token)).status).toBe(403);
  });

  it('dry run answers what would be billed and changes nothing', async () => {
    const token = (await api.subscribe('org-dry')).token;
    await overuse(token);
    const { period } = (await (await api.call('/usage/current', { token })).json()) as { period: { start: string; end: string } };
    await api.stack.clock.advanceTo(new Date(Date.parse(period.end) + CLOSE_GRACE_MS + 1_000)); // past the grace, before the hourly run
    const res = await processOverages({ tenant_id: 'org-dry', dry_run: true });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { periods_billed: number; invoice_items: { resource_type: string; amount: number; currency: string }[]; totals: Record<string, number> };
    expect(body.invoice_items.map((i) => [i.resource_type, i.amount]).sort()).toEqual([
      ['api_calls', 2_000],
      ['devices', 2_500],
    ]);
    expect(body.totals).toEqual({ usd: 4_500 });
    expect(await stripeItems('org-dry')).toEqual([]);
    const stored = await new UsageRepository(tableRef()).getPeriod('org-dry', period.start);
    expect(stored?.status).toBe('open');

    // The real run, through Stripe rate limiting: 429s are retried and create nothing twice.
    api.stack.stripe.rateLimitNext(3);
    const real = (await (await processOverages({ tenant_id: 'org-dry' })).json()) as { periods_billed: number; totals: Record<string, number> };
    expect(real).toMatchObject({ periods_billed: 1, totals: { usd: 4_500 } });
    expect(await stripeItems('org-dry')).toHaveLength(2);
    expect((await new UsageRepository(tableRef()).getPeriod('org-dry', period.start))?.status).toBe('billed');
  });

  describe('killed after each step and resumed', () => {
    const steps = ['after claiming the period', 'after the Stripe call, before recording it', 'after recording the line', 'before marking it billed'] as const;

    it.each(steps)('bills exactly once when it dies %s', async (step) => {
      const tenantId = `org-crash-${steps.indexOf(step)}`;
      const token = (await api.subscribe(tenantId)).token;
      await overuse(token);
      const { period } = (await (await api.call('/usage/current', { token })).json()) as { period: { start: string; end: string } };
      // Just past the grace period, before the hourly run picks the period up.
      await api.stack.clock.advanceTo(new Date(Date.parse(period.end) + CLOSE_GRACE_MS + 1_000));

      const deps = overageDepsOf(api);
      const provider = deps.provider as StripeAdapter;
      const crash = () => {
        throw new Error(`killed ${step}`);
      };
      const faulty: OverageDeps = {
        ...deps,
        overages: Object.assign(Object.create(deps.overages) as OverageRepository, {
          claim: step === steps[0] ? async (...a: Parameters<OverageRepository['claim']>) => (await deps.overages.claim(...a), crash()) : deps.overages.claim.bind(deps.overages),
          recordLine:
            step === steps[2]
              ? async (...a: Parameters<OverageRepository['recordLine']>) => (await deps.overages.recordLine(...a), crash())
              : deps.overages.recordLine.bind(deps.overages),
          markBilled: step === steps[3] ? async () => crash() : deps.overages.markBilled.bind(deps.overages),
        }),
        provider: Object.assign(Object.create(provider) as StripeAdapter, {
          createInvoiceItem: step === steps[1] ? async (...a: Parameters<StripeAdapter['createInvoiceItem']>) => (await provider.createInvoiceItem(...a), crash()) : provider.createInvoiceItem.bind(provider),
        }),
      };
      await expect(new OverageBiller(faulty).billPeriod(tenantId, period.start)).rejects.toThrow(/killed/);
      const resumed = await new OverageBiller(deps).billPeriod(tenantId, period.start);
      expect(resumed.outcome).toBe('billed');
      expect(resumed.lines.map((l) => [l.resource, l.amount]).sort()).toEqual([
        ['api_calls', 2_000n],
        ['devices', 2_500n],
      ]);
      expect((await stripeItems(tenantId)).map((i) => i.amount).sort()).toEqual([2_000, 2_500]);
      expect((await new BillingEventsRepository(tableRef()).list(tenantId, { limit: 50, type: 'overage.billed' })).items).toHaveLength(2);
      expect((await new OverageBiller(deps).billPeriod(tenantId, period.start)).outcome).toBe('already_billed');
    });
  });
});
