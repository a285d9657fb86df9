/**
 * The contract of the `admin` routes (see `define.ts`): overview figures, the overage run, tenant
 * search and picture, CSV exports, the revenue report, and an operator's money actions.
 */
import * as z from 'zod';
import { ACCESS_LEVELS, BILLING_CYCLES } from '../domain/catalog';
import { TAX_ID_TYPES } from '../domain/billing-details';
import { EXPORT_KINDS } from '../domain/exports';
import { RESOURCES } from '../domain/resources';
import { SUBSCRIPTION_STATUSES } from '../domain/subscription';
import { contract, lazy, type OperationContract } from './define';
import { entitlementsSchema } from './entitlements';
import { billingEventSchema } from './events';
import { currency, exactInteger, instant, minorUnits, nextCursor } from './fields';
import { invoiceSummarySchema } from './invoices';
import { subscriptionSchema } from './subscriptions';
import { usageApi } from './usage';
import { deliveryAttemptSchema, webhookSchema } from './webhooks';

const DAY_MS = 86_400_000;

const count = z.int().nonnegative();
const status = z.enum(SUBSCRIPTION_STATUSES);
const cycle = z.enum(BILLING_CYCLES);
const invoiceStatus = z.enum(['draft', 'open', 'paid', 'uncollectible', 'void']);
/** One amount per currency billed in; currencies without any are left out. */
const byCurrency = z.partialRecord(currency, minorUnits);
/** Exact sums (`bigint` on the server): overage quantities and money. */
const exactByCurrency = z.partialRecord(currency, exactInteger);

// Requests.

/** Why an operator acts: required on every action, kept in the tenant's audit trail. */
const reason = z.string().trim().min(3, 'say why, in a few words').max(500);
const minorAmount = z.number().int('integer minor units (cents)').positive('must be more than 0').max(100_000_000, 'at most 100000000 minor units');

const creditBody = z.strictObject({ amount: minorAmount, currency: z.string().regex(/^[A-Za-z]{3}$/, 'a currency code: usd, eur or gbp'), reason });
const refundBody = z.strictObject({ invoice_id: z.string().min(1).max(255), amount: minorAmount.optional(), reason });
const trialBody = z.strictObject({ trial_end: z.iso.datetime({ offset: true }), reason });
const retryBody = z.strictObject({ invoice_id: z.string().min(1).max(255), reason: reason.optional() });

const searchQuery = z.strictObject({
  query: z.string().trim().min(1).max(200).optional(),
  status: status.optional(),
  plan_id: z.string().regex(/^[a-z][a-z0-9_]*$/, 'a plan id such as starter').max(64).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(25),
  cursor: z.string().min(1).max(2048).optional(),
});

const exportQuery = z
  .strictObject({
    from: z.iso.datetime({ offset: true }),
    to: z.iso.datetime({ offset: true }),
    tenant_id: z.string().min(1).max(128).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(25),
    cursor: z.string().min(1).max(2048).optional(),
  })
  .refine((q) => Date.parse(q.from) < Date.parse(q.to), { message: 'must be after from', path: ['to'] })
  .refine((q) => Date.parse(q.to) - Date.parse(q.from) <= 400 * DAY_MS, { message: 'at most 400 days after from', path: ['to'] });

/** The `{file}` of `GET /admin/exports/{file}`: one per export kind. */
export const EXPORT_FILES = EXPORT_KINDS.map((kind) => `${kind}.csv` as const);

const processBody = z
  .strictObject({
    tenant_id: z.string().min(1).max(128).optional(),
    period: z.iso.datetime().optional(),
    dry_run: z.boolean().optional(),
  })
  .optional();

const month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month as YYYY-MM');
/** The longest revenue report, in months. */
const MAX_REPORT_MONTHS = 36;
/** A `YYYY-MM` month as a count of months since year 0. */
export const monthIndex = (m: string): number => Number(m.slice(0, 4)) * 12 + Number(m.slice(5, 7)) - 1;
const revenueQuery = z
  .strictObject({ from: month.optional(), to: month.optional(), currency: currency.optional() })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { message: 'must not be before from', path: ['to'] })
  .refine((q) => !q.from || !q.to || monthIndex(q.to) - monthIndex(q.from) < MAX_REPORT_MONTHS, {
    message: `at most ${MAX_REPORT_MONTHS} months after from`,
    path: ['to'],
  });

// Responses.

const overview = lazy(() =>
  z.strictObject({
    as_of: instant,
    mrr: byCurrency.meta({ description: 'ARR / 12 per currency, rounded half up; paying subscriptions (active, past due) only' }),
    arr: byCurrency.meta({ description: 'Annual prices, and 12 x monthly ones, of paying subscriptions per currency' }),
    subscriptions: z.strictObject({ by_plan: z.record(z.string(), count), by_status: z.partialRecord(status, count) }),
    trials_ending_7d: z.array(z.strictObject({ tenant_id: z.string(), trial_end: instant, plan_id: z.string() })),
    past_due: z.array(z.strictObject({ tenant_id: z.string(), plan_id: z.string(), subscription_id: z.string() })),
    overage_revenue_current_period: byCurrency,
    new_this_month: count,
    churned_this_month: count,
  }),
);

const periodFields = { tenant_id: z.string(), period_start: instant, period_end: instant };
const overageRun = lazy(() =>
  z.strictObject({
    dry_run: z.boolean(),
    periods_billed: count.meta({ description: 'Periods billed (or that would be, on a dry run)' }),
    invoice_items: z.array(
      z.strictObject({ ...periodFields, resource_type: z.enum(RESOURCES), quantity: exactInteger, overage: exactInteger, amount: exactInteger, currency }),
    ),
    totals: exactByCurrency,
    failed_items: z
      .array(z.strictObject({ ...periodFields, resource_type: z.enum(RESOURCES), amount: exactInteger, currency, reason: z.string() }))
      .meta({ description: 'Lines Stripe refused for good: recorded with the reason, not billed, not in the totals' }),
    periods: z.array(
      z.strictObject({
        tenant_id: z.string(),
        period_start: instant,
        outcome: z.enum(['billed', 'already_billed', 'not_due', 'not_billable', 'dry_run']),
      }),
    ),
  }),
);

/** One row of the tenant search. */
const tenantSummary = lazy(() =>
  z
    .strictObject({
      tenant_id: z.string(),
      name: z.string().nullable(),
      email: z.string().nullable(),
      country: z.string().nullable(),
      status: status.nullable().meta({ description: "The subscription's status; null before the first subscription" }),
      access: z.enum(ACCESS_LEVELS),
      plan_id: z.string().nullable(),
      billing_cycle: cycle.nullable(),
      currency: currency.nullable(),
      mrr: count.meta({ description: 'Monthly recurring revenue while paying (annual / 12), list price, minor units' }),
      open_balance: count.meta({ description: 'What its unpaid invoices still ask, minor units' }),
    })
    .meta({ id: 'TenantSummary' }),
);

const billingDetails = lazy(() =>
  z.strictObject({
    name: z.string().nullable(),
    email: z.string().nullable(),
    address: z
      .strictObject({
        line1: z.string().nullable(),
        line2: z.string().nullable(),
        city: z.string().nullable(),
        state: z.string().nullable(),
        postal_code: z.string().nullable(),
        country: z.string(),
      })
      .nullable(),
    tax_ids: z.array(z.strictObject({ type: z.enum(TAX_ID_TYPES), value: z.string() })),
  }),
);

/**
 * An invoice as the mirror keeps it, without its lines: the list's shape with its `tenant_id`, read as stored (mirrors written
 * before discounts lack `total_discount` and `discounts`).
 */
const picture = lazy(() =>
  z.strictObject({
    tenant: tenantSummary(),
    billing_details: billingDetails(),
    stripe_customer_id: z.string().nullable(),
    subscription: subscriptionSchema().nullable(),
    entitlements: entitlementsSchema(),
    usage: usageApi.currentUsage.responses()[200].schema,
    invoices: z.array(invoiceSummarySchema()).meta({ description: 'The 20 latest, as GET /invoices lists them' }),
    payments: z.array(billingEventSchema()).meta({ description: 'Payments and attempts at them, among the 100 latest events' }),
    events: z.array(billingEventSchema()).meta({ description: 'The 20 latest' }),
    webhooks: z.array(webhookSchema()),
    deliveries: z.array(deliveryAttemptSchema()).meta({ description: 'The 10 latest delivery attempts' }),
  }),
);

const revenueReport = lazy(() =>
  z.strictObject({
    from: month,
    to: month,
    currency: currency.nullable(),
    months: z.array(
      z.strictObject({
        month,
        currency,
        mrr: z.strictObject({
          starting: minorUnits,
          new: minorUnits,
          expansion: minorUnits,
          contraction: minorUnits,
          churn: minorUnits,
          reactivation: minorUnits,
          ending: minorUnits,
        }),
        invoiced: z
          .strictObject({
            invoices: z.int(),
            subscription: minorUnits,
            proration: minorUnits,
            usage: minorUnits,
            other: minorUnits,
            discount: minorUnits,
            tax: minorUnits,
            total: minorUnits,
          })
          .meta({ description: 'Invoices finalized in the month (less those voided), by the kind of their lines; usage (overage) apart' }),
        credits: minorUnits,
        refunds: minorUnits,
      }),
    ),
  }),
);

const actionHeader = 'Needs an `Idempotency-Key` header (400 without): the same key answers the same result and acts once.';
const tenantParam = { id: 'The tenant id' } as const;
const stripeDown = 'Stripe did not take the request; retry with the same Idempotency-Key.';

export const adminApi = {
  overview: contract({
    summary: 'Admin overview',
    description:
      'MRR and ARR per currency (annual counted /12), subscriptions by plan and status, trials ending in 7 days, past-due tenants, ' +
      'overage revenue this period, new and churned this month; from maintained counters.',
    responses: () => ({ 200: { description: 'The figures now.', schema: overview() } }),
  }),
  processOverages: contract({
    summary: 'Bill overages now',
    description:
      "The scheduled overage run, inline: one tenant's due periods (`tenant_id`), one period (`tenant_id` and `period`), or all due " +
      'periods (at most 200). `dry_run` computes without billing.',
    body: processBody,
    responses: () => ({ 200: { description: 'What was billed (or would be).', schema: overageRun() } }),
    errors: { 404: 'The tenant has no usage period starting at `period`.', 503: 'Stripe did not take the request; run again.' },
    example: { body: { dry_run: true } },
  }),
  searchTenants: contract({
    summary: 'Search tenants',
    description: 'By the start of the tenant id, email or name (any case), by subscription status and plan; through an index, paginated.',
    query: searchQuery,
    responses: () => ({
      200: {
        description: 'A page of tenants; `next_cursor` is null on the last page.',
        schema: z.strictObject({ tenants: z.array(tenantSummary()), next_cursor: nextCursor }),
      },
    }),
    example: { query: { query: 'org-', limit: '10' } },
  }),
  getTenant: contract({
    summary: "A tenant's whole picture",
    description:
      'Billing details, subscription, entitlements, current usage, the latest invoices, payments, events, webhook endpoints and ' +
      'deliveries.',
    params: tenantParam,
    responses: () => ({ 200: { description: 'The tenant.', schema: picture() } }),
    errors: { 404: 'A tenant billing never saw.' },
  }),
  exportCsv: contract({
    summary: 'Export CSV',
    description:
      'RFC 4180 CSV with a header row, `limit` tenants per page; the `X-Next-Cursor` response header names the next page ' +
      '(absent on the last).',
    params: { file: `What to export: ${EXPORT_FILES.join(', ')}` },
    query: exportQuery,
    responses: () => ({ 200: { description: 'A page of the export.', contentType: 'text/csv' } }),
    example: { query: { from: '2027-01-01T00:00:00Z', to: '2027-02-01T00:00:00Z' } },
  }),
  revenueReport: contract({
    summary: 'Revenue report',
    description:
      'Per month (`YYYY-MM`, by default the 12 up to this one, at most 36) and currency: MRR movements (new, expansion, contraction, ' +
      'churn, reactivation) and ending MRR, invoiced revenue with usage apart, credits and refunds.',
    query: revenueQuery,
    responses: () => ({ 200: { description: 'The report.', schema: revenueReport() } }),
    example: { query: { from: '2027-01', to: '2027-03', currency: 'usd' } },
  }),
  creditTenant: contract({
    summary: "Credit a tenant's balance",
    description: `A Stripe customer balance credit in the tenant's currency, used by its next invoices; recorded naming the admin and the reason. ${actionHeader}`,
    params: tenantParam,
    body: creditBody,
    responses: () => ({
      200: {
        description: 'The credit; `ending_balance` is the customer balance after it (negative: credit).',
        schema: z.strictObject({
          credit: z.strictObject({ id: z.string(), amount: count, currency, reason: z.string(), ending_balance: minorUnits }),
        }),
      },
    }),
    errors: { 404: 'A tenant without a Stripe customer.', 503: stripeDown },
    example: { body: { amount: 2_500, currency: 'usd', reason: 'outage on 3 Aug' } },
  }),
  refundTenant: contract({
    summary: 'Refund a paid invoice',
    description: `A credit note with a refund, never more than was paid (all of it without \`amount\`). ${actionHeader}`,
    params: tenantParam,
    body: refundBody,
    responses: () => ({
      200: {
        description: 'The refund.',
        schema: z.strictObject({
          refund: z.strictObject({ credit_note_id: z.string(), invoice_id: z.string(), amount: count, currency, reason: z.string() }),
        }),
      },
    }),
    errors: { 404: 'No such tenant, or no such invoice of this tenant.', 409: 'The invoice is not paid.', 503: stripeDown },
    example: { body: { invoice_id: 'in_123', amount: 4_000, reason: 'partial outage' } },
  }),
  extendTrial: contract({
    summary: "Extend a tenant's trial",
    description: `A later trial end, at most 30 days from now. ${actionHeader}`,
    params: tenantParam,
    body: trialBody,
    responses: () => ({
      200: {
        description: 'The subscription and its new trial end.',
        schema: z.strictObject({ subscription_id: z.string(), trial_end: instant.nullable() }),
      },
    }),
    errors: {
      404: 'A tenant without a Stripe customer.',
      409: 'The subscription is not trialing, or its trial was extended in the last 7 days (once a week at most).',
      503: stripeDown,
    },
    example: { body: { trial_end: '2027-09-01T00:00:00Z', reason: 'security review takes longer' } },
  }),
  retryPayment: contract({
    summary: 'Retry an open invoice now',
    description: `Pays an open invoice with the payment method on file. ${actionHeader}`,
    params: tenantParam,
    body: retryBody,
    responses: () => ({
      200: {
        description: 'The invoice, paid.',
        schema: z.strictObject({ invoice: z.strictObject({ id: z.string(), status: invoiceStatus, amount_paid: minorUnits, amount_due: minorUnits }) }),
      },
    }),
    errors: {
      402: 'The payment was declined (recorded in the audit trail).',
      404: 'No such tenant, or no such invoice of this tenant.',
      409: 'The invoice is not open.',
      503: stripeDown,
    },
    example: { body: { invoice_id: 'in_123', reason: 'new card on file' } },
  }),
} as const satisfies Record<string, OperationContract>;
