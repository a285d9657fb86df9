/**
 * Runs a concrete timeline against the real local stack (HTTP API, local Stripe, local SQS,
 * DynamoDB Local, one simulated clock) and reads back what it billed: every invoice with its
 * lines, every Stripe overage invoice item, the subscription, the usage history; and what the
 * tenant may do (`GET /entitlements`, with `GET /usage/current`) after every step and at the end.
 */
import type Stripe from 'stripe';
import type { TestApi } from '../support/local-api';
import type { Step, Timeline, TimelineTenant } from '../model/timeline';

export interface StepOutcome {
  readonly index: number;
  readonly step: Step;
  readonly status: number;
  readonly body: unknown;
  /** Right after the step (queues and webhooks quiet): the acting tenant's entitlements, every tenant's after an advance. */
  readonly after?: readonly ObservedAccess[];
}

/** What a tenant may do, and this period's usage, read at one instant. */
export interface ObservedAccess {
  readonly id: string;
  /** Null with `entitlementsError` when it did not answer 200. */
  readonly entitlements: ObservedEntitlements | null;
  readonly entitlementsError: string | null;
  readonly currentUsage: ObservedCurrentUsage | null;
  readonly currentUsageError: string | null;
}

/** One tax amount of an invoice or a line, as `GET /invoices/{id}` shows it. */
export interface ObservedTax {
  readonly amount: number;
  readonly taxable_amount: number;
  readonly percentage: number | null;
  readonly country: string | null;
  readonly jurisdiction: string | null;
  readonly taxability_reason: string | null;
  readonly reverse_charge: boolean;
}

export interface ObservedLine {
  readonly description: string;
  /** Before tax. */
  readonly amount: number;
  readonly quantity: number | null;
  readonly kind: string;
  readonly period_start: string;
  readonly period_end: string;
  /** Null: the API left the field out. */
  readonly taxes: readonly ObservedTax[] | null;
}

export interface ObservedInvoice {
  readonly id: string;
  readonly status: string;
  readonly billing_reason: string | null;
  readonly total: number;
  readonly subtotal: number;
  /** Null where the API left a tax field out. */
  readonly total_excluding_tax: number | null;
  readonly tax: number | null;
  readonly taxes: readonly ObservedTax[] | null;
  readonly reverse_charge: boolean | null;
  readonly amount_paid: number | null;
  readonly amount_due: number | null;
  readonly created_at: string;
  readonly number: string | null;
  readonly lines: readonly ObservedLine[];
}

export interface ObservedItem {
  readonly id: string;
  readonly amount: number;
  readonly invoice: string | null;
  readonly created: string;
  readonly description: string | null;
  readonly metadata: Record<string, string>;
}

/** `GET /entitlements` (SPEC 4b), as far as the comparison reads it; JSON integers for bigints. */
export interface ObservedEntitlements {
  readonly tenant_id: string;
  readonly status: string | null;
  readonly access: string;
  readonly plan_id: string | null;
  readonly billing_cycle: string | null;
  readonly currency: string | null;
  readonly period: { readonly start: string; readonly end: string; readonly trial: boolean } | null;
  readonly limits: Record<string, number> | null;
  readonly usage: Record<string, number>;
  readonly allowed: Record<string, boolean>;
  readonly headroom: Record<string, { readonly remaining: number | null; readonly next_unit_price: number }>;
  readonly overage_amount: number;
  readonly spend_cap: unknown;
  readonly reasons: readonly { readonly code: string; readonly message: string; readonly since: string | null }[];
  readonly changes_at: string | null;
  readonly evaluated_at: string;
}

/** `GET /usage/current`. */
export interface ObservedCurrentUsage {
  readonly period: { readonly start: string; readonly end: string };
  readonly trial: boolean;
  readonly plan_id: string | null;
  readonly usage: Record<string, { readonly quantity: number }>;
}

export interface ObservedTenant extends ObservedAccess {
  readonly id: string;
  readonly subscription: { status: string; plan_id: string; billing_cycle: string; pending_change: unknown } | null;
  readonly invoices: readonly ObservedInvoice[];
  /** Stripe's own invoices for the tenant's customer (id, status, total). */
  readonly stripeInvoices: readonly { id: string; status: string; total: number; billing_reason: string | null }[];
  /** Stripe invoice items with metadata.kind = overage. */
  readonly overageItems: readonly ObservedItem[];
  readonly history: readonly { resource_type: string; start: string; end: string; quantity: number }[];
  readonly historyError: string | null;
  /** The tenant's revenue events (`mrr.changed`, `revenue.invoiced`, `revenue.voided`), oldest first. */
  readonly revenueEvents: readonly { type: string; occurred_at: string; data: Record<string, unknown> }[];
}

export interface Observed {
  readonly at: string;
  readonly outcomes: readonly StepOutcome[];
  /** Calls answered 5xx, clock advances that threw, anything the harness could not do. */
  readonly errors: readonly string[];
  readonly deadLetters: readonly string[];
  readonly tenants: readonly ObservedTenant[];
}

export const tenantEmail = (tenantId: string): string => `${tenantId}@sim.example.com`;

const readJson = async (res: Response): Promise<unknown> => {
  const text = await res.text();
  try {
    return text.length > 0 ? (JSON.parse(text) as unknown) : null;
  } catch {
    return text;
  }
};

export const findCustomer = async (stripe: Stripe, tenantId: string): Promise<Stripe.Customer | null> => {
  const list = await stripe.customers.list({ email: tenantEmail(tenantId), limit: 10 });
  return list.data.find((c) => c.metadata?.tenant_id === tenantId) ?? list.data[0] ?? null;
};

const unix = (seconds: number) => new Date(seconds * 1000).toISOString();

/**
 * The billing address a tenant gives on create: its country (a timeline without one is in the
 * US). Stripe Tax places a US customer by its ZIP code, so a US address has one.
 */
export const billingAddress = (tenant: TimelineTenant | undefined): Record<string, string> => {
  const country = tenant?.country ?? 'US';
  return country === 'US' ? { line1: '510 Townsend St', city: 'San Francisco', state: 'CA', postal_code: '94103', country } : { country };
};

/** Does one step: moves the clock to `step.at`, then the action, then waits until queues and webhooks are quiet. */
const runStep = async (api: TestApi, timeline: Timeline, tokens: Map<string, string>, step: Step, index: number, errors: string[]): Promise<StepOutcome> => {
  const tokenOf = async (tenantId: string): Promise<string> => {
    let token = tokens.get(tenantId);
    if (!token) {
      token = await api.token({ tenantId, userId: `user-${tenantId}` });
      tokens.set(tenantId, token);
    }
    return token;
  };
  const observe = async (tenantIds: readonly string[]): Promise<ObservedAccess[]> => {
    const seen: ObservedAccess[] = [];
    for (const id of tenantIds) seen.push(await observeAccess(api, id, await tokenOf(id), errors));
    return seen;
  };
  try {
    if (Date.parse(step.at) > api.stack.clock.now().getTime()) await api.advanceTo(step.at);
  } catch (error) {
    errors.push(`step ${index}: advancing the clock to ${step.at} threw: ${String(error)}`);
  }
  if (step.do === 'advance') return { index, step, status: 200, body: null, after: await observe(timeline.tenants.map((t) => t.id)) };
  const token = await tokenOf(step.tenant);
  const post = (path: string, json: unknown) => api.call(path, { method: 'POST', token, json });
  let res: Response | null = null;
  let body: unknown = null;
  switch (step.do) {
    case 'create': {
      const tenant = timeline.tenants.find((t) => t.id === step.tenant);
      res = await post('/subscriptions/create', {
        plan_id: step.plan_id,
        billing_cycle: step.billing_cycle,
        currency: tenant?.currency,
        trial_days: step.trial_days,
        payment_method: step.payment_method,
        email: tenantEmail(step.tenant),
        name: step.tenant,
        address: billingAddress(tenant),
        ...(tenant?.tax_ids && tenant.tax_ids.length > 0 ? { tax_ids: tenant.tax_ids } : {}),
      });
      break;
    }
    case 'usage':
      res = await post('/usage/track', { records: step.records });
      break;
    case 'change':
      res = await post('/subscriptions/update', { plan_id: step.plan_id, billing_cycle: step.billing_cycle });
      break;
    case 'cancel_at_period_end':
      res = await post('/subscriptions/cancel', {});
      break;
    case 'undo_cancel':
      res = await post('/subscriptions/update', { cancel_at_period_end: false });
      break;
    case 'cancel_now':
      res = await post('/subscriptions/cancel', { immediately: true });
      break;
    case 'fix_card': {
      // The customer fixes the card (as on Stripe's hosted invoice page): a working card as the default.
      const customer = await findCustomer(api.stripe, step.tenant);
      if (!customer) {
        errors.push(`step ${index}: no Stripe customer for ${step.tenant} to fix the card of`);
        break;
      }
      const pm = await api.stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
      await api.stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: pm.id } });
      body = { payment_method: pm.id };
      break;
    }
  }
  if (res) body = await readJson(res);
  await api.stack.settle();
  const status = res?.status ?? 200;
  if (status >= 500) errors.push(`step ${index} (${step.do} for ${'tenant' in step ? step.tenant : ''} at ${step.at}) answered ${status}: ${JSON.stringify(body)}`);
  return { index, step, status, body, after: await observe([step.tenant]) };
};

/** `GET /entitlements` and `GET /usage/current` for one tenant, now. */
export const observeAccess = async (api: TestApi, tenantId: string, token: string, errors: string[]): Promise<ObservedAccess> => {
  const get = async (path: string): Promise<{ ok: boolean; body: unknown; error: string | null }> => {
    const res = await api.call(path, { token });
    const body = await readJson(res);
    const error = res.status === 200 ? null : `GET ${path} answered ${res.status}: ${JSON.stringify(body)}`;
    if (res.status >= 500) errors.push(`GET ${path} for ${tenantId} answered ${res.status}: ${JSON.stringify(body)}`);
    return { ok: res.status === 200, body, error };
  };
  const ent = await get('/entitlements');
  const usage = await get('/usage/current');
  return {
    id: tenantId,
    entitlements: ent.ok ? (ent.body as ObservedEntitlements) : null,
    entitlementsError: ent.error,
    currentUsage: usage.ok ? (usage.body as ObservedCurrentUsage) : null,
    currentUsageError: usage.error,
  };
};

export const observeTenant = async (api: TestApi, tenantId: string, from: Date, errors: string[]): Promise<ObservedTenant> => {
  const token = await api.token({ tenantId, userId: `user-${tenantId}` });
  const get = async (path: string): Promise<{ status: number; body: unknown }> => {
    const res = await api.call(path, { token });
    const body = await readJson(res);
    if (res.status >= 500) errors.push(`GET ${path} for ${tenantId} answered ${res.status}: ${JSON.stringify(body)}`);
    return { status: res.status, body };
  };

  const current = await get('/subscriptions/current');
  const subscription = current.status === 200 ? (current.body as { subscription: ObservedTenant['subscription'] }).subscription : null;

  const summaries: { id: string }[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 50; page += 1) {
    const listed = await get(`/invoices?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    if (listed.status !== 200) {
      errors.push(`GET /invoices for ${tenantId} answered ${listed.status}`);
      break;
    }
    const body = listed.body as { invoices: { id: string }[]; next_cursor: string | null };
    summaries.push(...body.invoices);
    cursor = body.next_cursor;
    if (!cursor) break;
  }
  const invoices: ObservedInvoice[] = [];
  for (const s of summaries) {
    const detail = await get(`/invoices/${s.id}`);
    if (detail.status !== 200) {
      errors.push(`GET /invoices/${s.id} for ${tenantId} answered ${detail.status}`);
      continue;
    }
    const inv = (detail.body as { invoice: Partial<ObservedInvoice> & Pick<ObservedInvoice, 'id' | 'status' | 'total' | 'subtotal' | 'created_at'> }).invoice;
    invoices.push({
      id: inv.id,
      status: inv.status,
      billing_reason: inv.billing_reason ?? null,
      total: inv.total,
      subtotal: inv.subtotal,
      total_excluding_tax: inv.total_excluding_tax ?? null,
      tax: inv.tax ?? null,
      taxes: inv.taxes ?? null,
      reverse_charge: inv.reverse_charge ?? null,
      amount_paid: inv.amount_paid ?? null,
      amount_due: inv.amount_due ?? null,
      created_at: inv.created_at,
      number: inv.number ?? null,
      lines: (inv.lines ?? []).map((l) => ({ ...l, taxes: l.taxes ?? null })),
    });
  }

  const customer = await findCustomer(api.stripe, tenantId);
  const overageItems: ObservedItem[] = [];
  const stripeInvoices: ObservedTenant['stripeInvoices'][number][] = [];
  if (customer) {
    for await (const item of api.stripe.invoiceItems.list({ customer: customer.id, limit: 100 })) {
      if (item.metadata?.kind !== 'overage') continue;
      overageItems.push({
        id: item.id,
        amount: item.amount,
        invoice: typeof item.invoice === 'string' ? item.invoice : (item.invoice?.id ?? null),
        created: unix(item.date),
        description: item.description,
        metadata: { ...(item.metadata ?? {}) },
      });
    }
    for await (const inv of api.stripe.invoices.list({ customer: customer.id, limit: 100 })) {
      stripeInvoices.push({ id: inv.id ?? '', status: inv.status ?? '', total: inv.total, billing_reason: inv.billing_reason ?? null });
    }
  }

  const history: ObservedTenant['history'][number][] = [];
  let historyError: string | null = null;
  let hCursor: string | null = null;
  const to = api.stack.clock.now().toISOString();
  for (let page = 0; page < 20; page += 1) {
    const res = await get(
      `/usage/history?granularity=period&from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to)}&limit=500${hCursor ? `&cursor=${encodeURIComponent(hCursor)}` : ''}`,
    );
    if (res.status !== 200) {
      historyError = `GET /usage/history answered ${res.status}: ${JSON.stringify(res.body)}`;
      break;
    }
    const body = res.body as { items: ObservedTenant['history'][number][]; next_cursor: string | null };
    history.push(...body.items);
    hCursor = body.next_cursor;
    if (!hCursor) break;
  }

  const revenueEvents: ObservedTenant['revenueEvents'][number][] = [];
  for (const type of ['mrr.changed', 'revenue.invoiced', 'revenue.voided']) {
    const res = await get(`/events?type=${type}&limit=100`);
    if (res.status !== 200) {
      errors.push(`GET /events?type=${type} for ${tenantId} answered ${res.status}`);
      continue;
    }
    revenueEvents.push(...(res.body as { events: ObservedTenant['revenueEvents'][number][] }).events.reverse());
  }

  // At the same (frozen) instant as everything above.
  const access = await observeAccess(api, tenantId, token, errors);
  return { ...access, subscription, invoices, stripeInvoices, overageItems, history, historyError, revenueEvents };
};

/** Runs every step, then observes every tenant. */
export const driveTimeline = async (api: TestApi, timeline: Timeline, options: { onStep?: (o: StepOutcome) => void } = {}): Promise<Observed> => {
  const errors: string[] = [];
  const outcomes: StepOutcome[] = [];
  const tokens = new Map<string, string>();
  if (Date.parse(timeline.start) > api.stack.clock.now().getTime()) await api.advanceTo(timeline.start);
  for (const [index, step] of timeline.steps.entries()) {
    try {
      const outcome = await runStep(api, timeline, tokens, step, index, errors);
      outcomes.push(outcome);
      options.onStep?.(outcome);
    } catch (error) {
      errors.push(`step ${index} (${step.do} at ${step.at}) threw: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      outcomes.push({ index, step, status: 0, body: String(error) });
    }
  }
  await api.stack.settle();
  const at = api.stack.clock.now().toISOString();
  const from = new Date(Date.parse(timeline.start) - 35 * 86_400_000);
  const tenants: ObservedTenant[] = [];
  for (const t of timeline.tenants) tenants.push(await observeTenant(api, t.id, from, errors));
  const deadLetters = await api.stack.usageDeadLetters();
  return { at, outcomes, errors, deadLetters, tenants };
};

/** Ends every live subscription of the timeline's tenants, so they stop renewing while the next timeline runs. */
export const cleanUp = async (api: TestApi, timeline: Timeline): Promise<void> => {
  for (const t of timeline.tenants) {
    const token = await api.token({ tenantId: t.id });
    await api.call('/subscriptions/cancel', { method: 'POST', token, json: { immediately: true } }).catch(() => undefined);
  }
  await api.stack.settle();
};
