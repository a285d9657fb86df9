/**
 * Compares what the stack billed with what the reference model says, cent for cent (tax
 * included), and checks the invariants: nothing billed twice, nothing billed against a plan the
 * tenant was not on, every record counted once (or shown as trial / never billed), every invoice
 * adds up (lines, tax, total, charge), no dead letters, no 5xx.
 */
import { BillingModel, billableOf, overageLine, scaleAmount, type ExpectedBilling, type ExpectedInvoice, type ExpectedOverageLine, type ExpectedTenant, type StepExpectation } from '../model/billing-model';
import type { Timeline } from '../model/timeline';
import { isGauge, PLANS, priceMinor, RESOURCES, type Resource } from '../model/catalog';
import { DAY, HOUR } from '../model/calendar';
import { lineTax, type TaxRule } from '../model/tax';
import type { Observed, ObservedAccess, ObservedInvoice, ObservedItem, ObservedLine, ObservedTenant } from './driver';

export interface Problem {
  readonly tenant: string | null;
  /** A stable category, e.g. `overage-missing`, `invoice-lines`, `http-5xx`. */
  readonly kind: string;
  readonly message: string;
}

/**
 * The model's view of a timeline: per step what it expects, and the billing at `at`; with
 * `afterEach`, also the billing right after each step (null for the steps not asked for).
 */
export const modelOf = (
  timeline: Timeline,
  at: string,
  afterEach: (index: number) => boolean = () => false,
): { steps: StepExpectation[]; billing: ExpectedBilling; after: (ExpectedBilling | null)[] } => {
  const model = new BillingModel(Date.parse(timeline.start), timeline.tenants);
  const after: (ExpectedBilling | null)[] = [];
  const steps = timeline.steps.map((s, i) => {
    const expectation = model.apply(s);
    // Reading the model at the step's own instant moves it nowhere: only what is due by then, due anyway.
    after.push(afterEach(i) ? model.expected(Date.parse(s.at)) : null);
    return expectation;
  });
  return { steps, billing: model.expected(Date.parse(at)), after };
};

const norm = (t: string | null | undefined): string => {
  if (t === null || t === undefined) return String(t);
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? t : new Date(ms).toISOString();
};
const overageKey = (periodStart: string, resource: string) => `${norm(periodStart)} ${resource}`;
const SUBSCRIPTION_REASONS = new Set(['subscription_create', 'subscription_cycle', 'subscription_update']);
const fmt = (v: unknown) => JSON.stringify(v);

const EXPECTED_STATUS: Record<string, number> = { create: 201, usage: 202 };

export const compareTimeline = (timeline: Timeline, observed: Observed, options: { knownDeadLetters?: Set<string> } = {}): Problem[] => {
  const problems: Problem[] = [];
  const add = (tenant: string | null, kind: string, message: string) => problems.push({ tenant, kind, message });
  const observedAfter = new Map(observed.outcomes.filter((o) => (o.after?.length ?? 0) > 0).map((o) => [o.index, o.after ?? []]));
  const { steps, billing, after } = modelOf(timeline, observed.at, (i) => observedAfter.has(i));

  for (const e of observed.errors) add(null, /answered 5\d\d/.test(e) ? 'http-5xx' : 'harness', e);
  for (const o of observed.outcomes) {
    const step = o.step;
    if (step.do === 'advance' || step.do === 'fix_card') continue;
    const want = EXPECTED_STATUS[step.do] ?? 200;
    if (o.status !== want && o.status < 500) {
      add(step.tenant, 'action-refused', `step ${o.index} ${step.do} at ${step.at} answered ${o.status} (model: ${want}): ${fmt(o.body)}`);
      continue;
    }
    const kind = steps[o.index]?.kind;
    if (step.do === 'change' && kind) {
      const got = (o.body as { change?: { kind?: string } } | null)?.change?.kind;
      if (got !== kind) add(step.tenant, 'change-kind', `step ${o.index} change to ${step.plan_id}/${step.billing_cycle} at ${step.at}: product says ${got}, model says ${kind}`);
    }
  }
  const fresh = observed.deadLetters.filter((d) => !options.knownDeadLetters?.has(d));
  for (const d of fresh) add(null, 'usage-dlq', `usage dead letter: ${d.slice(0, 300)}`);

  for (const exp of billing.tenants) {
    const obs = observed.tenants.find((t) => t.id === exp.id);
    if (!obs) {
      add(exp.id, 'harness', 'tenant not observed');
      continue;
    }
    compareSubscription(exp, obs, add);
    compareSubscriptionInvoices(exp, obs, add);
    compareInvoiceIntegrity(obs, add);
    compareInvoiceTax(exp, obs, add);
    compareOverage(exp, obs, add);
    compareHistory(exp, obs, add);
    compareEntitlements(exp, obs, add, observed.at);
    compareRevenue(exp, obs, add);
  }

  // Entitlements right after each step, against the model at that instant. One problem per tenant
  // and kind (the first step it shows), so one wrong state is not reported at every later step.
  const reported = new Set<string>();
  for (const [index, seen] of observedAfter) {
    const expected = after[index];
    const step = timeline.steps[index];
    if (!expected || !step) continue;
    for (const obs of seen) {
      const exp = expected.tenants.find((t) => t.id === obs.id);
      if (!exp) continue;
      const label = `after step ${index} (${step.do}${'tenant' in step ? ` for ${step.tenant}` : ''})`;
      compareEntitlements(exp, obs, (tenant, kind, message) => {
        const key = `${tenant} ${kind}`;
        if (reported.has(key)) return;
        reported.add(key);
        add(tenant, kind, `${label}: ${message}`);
      }, step.at);
    }
  }
  return problems;
};

type Add = (tenant: string | null, kind: string, message: string) => void;

/** SPEC section 7: a tenant's MRR contribution, from the model: its plan's price while active or past due, annual / 12 rounded half up. */
const modelMrr = (exp: ExpectedTenant): number => {
  if ((exp.status !== 'active' && exp.status !== 'past_due') || !exp.plan) return 0;
  const price = priceMinor(exp.plan.plan_id, exp.currency, exp.plan.billing_cycle);
  return exp.plan.billing_cycle === 'annual' ? Math.floor((price * 2 + 12) / 24) : price;
};

const FINALIZED = new Set(['open', 'paid', 'uncollectible', 'void']);

/**
 * The revenue report's facts for one tenant: its `mrr.changed` events chain (each starts where
 * the last ended, from 0) and end at the model's MRR; every finalized invoice is one
 * `revenue.invoiced` event with its total and overage, and nothing else is.
 */
const compareRevenue = (exp: ExpectedTenant, obs: ObservedTenant, add: Add) => {
  const num = (v: unknown) => (typeof v === 'number' ? v : NaN);
  const changes = obs.revenueEvents.filter((e) => e.type === 'mrr.changed');
  let level = 0;
  for (const e of changes) {
    const from = num(e.data.from);
    const to = num(e.data.to);
    if (from !== level || from === to) {
      add(exp.id, 'mrr-chain', `mrr.changed at ${e.occurred_at} goes ${from} -> ${to} after ${level}: ${fmt(changes.map((c) => [c.occurred_at, c.data.from, c.data.to]))}`);
      break;
    }
    level = to;
  }
  const want = modelMrr(exp);
  const sum = changes.reduce((s, e) => s + num(e.data.to) - num(e.data.from), 0);
  if (sum !== want) add(exp.id, 'mrr', `mrr.changed events add up to ${sum}, the model's MRR is ${want} (${exp.status} on ${exp.plan?.plan_id}/${exp.plan?.billing_cycle})`);

  const invoiced = obs.revenueEvents.filter((e) => e.type === 'revenue.invoiced');
  const finalized = obs.invoices.filter((i) => FINALIZED.has(i.status));
  for (const inv of finalized) {
    const events = invoiced.filter((e) => e.data.invoice_id === inv.id);
    const usage = inv.lines.filter((l) => l.kind === 'overage').reduce((s, l) => s + l.amount, 0);
    if (events.length !== 1) add(exp.id, 'revenue-invoice', `${inv.id} (${inv.status}, ${inv.total}) has ${events.length} revenue.invoiced events`);
    else if (num(events[0]?.data.total) !== inv.total || num(events[0]?.data.usage) !== usage) {
      add(exp.id, 'revenue-invoice', `${inv.id}: revenue.invoiced says total ${fmt(events[0]?.data.total)} usage ${fmt(events[0]?.data.usage)}, the invoice ${inv.total} and ${usage}`);
    }
    const voided = obs.revenueEvents.filter((e) => e.type === 'revenue.voided' && e.data.invoice_id === inv.id).length;
    if (voided !== (inv.status === 'void' ? 1 : 0)) add(exp.id, 'revenue-invoice', `${inv.id} (${inv.status}) has ${voided} revenue.voided events`);
  }
  const known = new Set(finalized.map((i) => i.id));
  for (const e of invoiced) if (!known.has(String(e.data.invoice_id))) add(exp.id, 'revenue-invoice', `revenue.invoiced for ${fmt(e.data.invoice_id)}, which is not a finalized invoice of the tenant`);
};

const compareSubscription = (exp: ExpectedTenant, obs: ObservedTenant, add: Add) => {
  const sub = obs.subscription;
  if (exp.status === 'none') {
    if (sub) add(exp.id, 'subscription', `model: no subscription; product: ${fmt(sub)}`);
    return;
  }
  if (exp.status === 'canceled') {
    if (!sub || sub.status !== 'canceled') add(exp.id, 'subscription', `model: canceled; product: ${fmt(sub)}`);
    return;
  }
  const plan = exp.plan;
  if (!sub || sub.status !== exp.status || sub.plan_id !== plan?.plan_id || sub.billing_cycle !== plan?.billing_cycle) {
    add(exp.id, 'subscription', `model: ${exp.status} on ${plan?.plan_id}/${plan?.billing_cycle}; product: ${sub ? `${sub.status} on ${sub.plan_id}/${sub.billing_cycle}` : 'none'}`);
  }
  const pending = (sub?.pending_change ?? null) as { plan_id?: string; billing_cycle?: string } | null;
  const want = plan?.pending ?? null;
  if ((pending?.plan_id ?? null) !== (want?.plan_id ?? null) || (pending?.billing_cycle ?? null) !== (want?.billing_cycle ?? null)) {
    add(exp.id, 'subscription', `pending change: model ${fmt(want)}, product ${fmt(pending)}`);
  }
};

const lineTuple = (l: { kind: string; amount: number; period_start: string; period_end: string }) => `${l.kind} ${l.amount} [${norm(l.period_start)}, ${norm(l.period_end)})`;

/** A line's tax as the API shows it: the sum of its tax amounts (null: no `taxes` field). */
const taxOf = (l: ObservedLine): number | null => (l.taxes === null ? null : l.taxes.reduce((sum, t) => sum + t.amount, 0));
const describeRule = (rule: TaxRule) => `${rule.country} ${rule.percent}% ${rule.reason}`;
const describeInvoice = (inv: ObservedInvoice) => `${inv.id} (${inv.billing_reason}, created ${inv.created_at})`;

/**
 * Subscription and proration lines, invoice by invoice. An invoice with such lines is matched
 * by its creation time (one tenant never gets two at one instant); overage lines are left to
 * the overage comparison.
 */
const compareSubscriptionInvoices = (exp: ExpectedTenant, obs: ObservedTenant, add: Add) => {
  const observed = new Map<string, ObservedInvoice[]>();
  for (const inv of obs.invoices) {
    const carries = inv.lines.some((l) => l.kind !== 'overage') || (inv.lines.length === 0 && SUBSCRIPTION_REASONS.has(inv.billing_reason ?? ''));
    if (!carries) continue;
    const k = norm(inv.created_at);
    observed.set(k, [...(observed.get(k) ?? []), inv]);
  }
  const expected = new Map<string, ExpectedInvoice>(exp.invoices.map((i) => [norm(i.created_at), i]));
  for (const [k, want] of expected) {
    const got = observed.get(k);
    if (!got || got.length === 0) {
      add(exp.id, 'invoice-missing', `no invoice created ${k}; model: ${want.billing_reason} ${fmt(want.lines.map(lineTuple))} (${want.status})`);
      continue;
    }
    if (got.length > 1) add(exp.id, 'invoice-duplicate', `${got.length} invoices created ${k}: ${got.map((g) => g.id).join(', ')}`);
    const inv = got[0] as ObservedInvoice;
    const gotLines = inv.lines.filter((l) => l.kind !== 'overage').map(lineTuple).sort();
    const wantLines = want.lines.map(lineTuple).sort();
    if (fmt(gotLines) !== fmt(wantLines)) add(exp.id, 'invoice-lines', `${want.billing_reason} ${k} (${inv.id}): product ${fmt(gotLines)}, model ${fmt(wantLines)}`);
    else {
      // The same lines: each one's tax is the model's.
      const taxed = (l: { kind: string; amount: number; period_start: string; period_end: string }, tax: number | null) => `${lineTuple(l)} tax ${tax ?? 'missing'}`;
      const gotTaxed = inv.lines.filter((l) => l.kind !== 'overage').map((l) => taxed(l, taxOf(l))).sort();
      const wantTaxed = want.lines.map((l) => taxed(l, l.tax)).sort();
      if (fmt(gotTaxed) !== fmt(wantTaxed)) add(exp.id, 'invoice-tax', `${want.billing_reason} ${k} (${inv.id}) at ${describeRule(exp.tax)}: product ${fmt(gotTaxed)}, model ${fmt(wantTaxed)}`);
    }
    if (inv.billing_reason !== want.billing_reason) add(exp.id, 'invoice-reason', `${k} (${inv.id}): product ${inv.billing_reason}, model ${want.billing_reason}`);
    if (inv.status !== want.status) add(exp.id, 'invoice-status', `${want.billing_reason} ${k} (${inv.id}): product ${inv.status}, model ${want.status}`);
  }
  for (const [k, got] of observed) {
    if (!expected.has(k)) add(exp.id, 'invoice-unexpected', `${k}: ${got.map((g) => `${g.id} ${g.billing_reason} ${g.status} ${fmt(g.lines.map(lineTuple))}`).join(' | ')}`);
  }
};

/** Every invoice adds up, and the mirror says what Stripe says. */
const compareInvoiceIntegrity = (obs: ObservedTenant, add: Add) => {
  for (const inv of obs.invoices) {
    const sum = inv.lines.reduce((s, l) => s + l.amount, 0);
    if (sum !== inv.subtotal) add(obs.id, 'invoice-total', `${inv.id} (${inv.billing_reason}): subtotal ${inv.subtotal} but its ${inv.lines.length} lines add up to ${sum}`);
  }
  const mirrored = new Map(obs.invoices.map((i) => [i.id, i]));
  for (const s of obs.stripeInvoices) {
    const m = mirrored.get(s.id);
    if (!m) add(obs.id, 'invoice-mirror', `Stripe invoice ${s.id} (${s.billing_reason}, ${s.status}, ${s.total}) is not in GET /invoices`);
    else if (m.status !== s.status || m.total !== s.total) add(obs.id, 'invoice-mirror', `${s.id}: Stripe ${s.status} ${s.total}, mirror ${m.status} ${m.total}`);
  }
  const inStripe = new Set(obs.stripeInvoices.map((s) => s.id));
  for (const m of obs.invoices) if (!inStripe.has(m.id)) add(obs.id, 'invoice-mirror', `mirrored invoice ${m.id} is not in Stripe`);
};

const describeLine = (l: ExpectedOverageLine) =>
  `${l.resource} [${l.period_start}, ${l.period_end}) on ${l.plan_id}: quantity ${l.quantity} (billed ${l.billable}), included ${l.included}, rate ${l.rate_milli}/1000 -> ${l.amount} + tax ${l.tax}, billed ${l.billed_at} (${l.placement})`;

/**
 * Every invoice's tax adds up and says what it is (SPEC 4a): the invoice's tax is the sum of its
 * lines' (and of its tax breakdown), the total is the amount before tax plus the tax, what is
 * charged is that total; a taxed line names its rate, country and taxable amount; a reverse
 * charged invoice says so, and no other does. (Each line's tax amount is checked against the
 * model where the line is matched: above for plan lines, in compareOverage for overage lines.)
 */
const compareInvoiceTax = (exp: ExpectedTenant, obs: ObservedTenant, add: Add) => {
  const rule = exp.tax;
  for (const inv of obs.invoices) {
    const where = `${describeInvoice(inv)} at ${describeRule(rule)}`;
    const lineTaxes = inv.lines.map(taxOf);
    if (inv.tax === null || inv.total_excluding_tax === null || inv.taxes === null || lineTaxes.includes(null)) {
      add(exp.id, 'invoice-tax', `${where} lacks tax fields: tax ${inv.tax}, total_excluding_tax ${inv.total_excluding_tax}, taxes ${fmt(inv.taxes)}, lines without taxes ${lineTaxes.filter((t) => t === null).length}`);
      continue;
    }
    const sumLines = (lineTaxes as number[]).reduce((a, b) => a + b, 0);
    const sumBreakdown = inv.taxes.reduce((a, t) => a + t.amount, 0);
    const byRule = inv.lines.reduce((a, l) => a + lineTax(l.amount, rule.percent), 0);
    const differs = [
      inv.tax !== sumLines ? `tax ${inv.tax} but its lines' taxes add up to ${sumLines}` : '',
      inv.tax !== sumBreakdown ? `tax ${inv.tax} but its taxes ${fmt(inv.taxes.map((t) => t.amount))} add up to ${sumBreakdown}` : '',
      inv.tax !== byRule ? `tax ${inv.tax} where its line amounts ${fmt(inv.lines.map((l) => l.amount))} owe ${byRule}` : '',
      inv.total_excluding_tax !== inv.subtotal ? `total_excluding_tax ${inv.total_excluding_tax} != subtotal ${inv.subtotal} (no discounts here)` : '',
      inv.total !== inv.subtotal + inv.tax ? `total ${inv.total} != subtotal ${inv.subtotal} + tax ${inv.tax}` : '',
    ].filter(Boolean);
    if (differs.length > 0) add(exp.id, 'invoice-tax', `${where}: ${differs.join('; ')}`);

    if (inv.status === 'paid' && inv.total > 0 && inv.amount_paid !== inv.total) add(exp.id, 'invoice-charge', `${where} is paid with ${inv.amount_paid}; its total with tax is ${inv.total}`);
    if (inv.status === 'open' && inv.total > 0 && inv.amount_due !== inv.total) add(exp.id, 'invoice-charge', `${where} is open for ${inv.amount_due}; its total with tax is ${inv.total}`);

    const details: string[] = [];
    for (const l of inv.lines) {
      if (l.amount === 0 || l.taxes === null) continue;
      const line = `line ${l.kind} ${l.amount} taxes ${fmt(l.taxes)}`;
      if (rule.percent > 0 && !l.taxes.some((t) => t.percentage === rule.percent && t.country === rule.country && t.taxable_amount === l.amount)) {
        details.push(`${line} names no ${rule.percent}% ${rule.country} tax on ${l.amount}`);
      }
      if (rule.reason === 'reverse_charge' && !l.taxes.some((t) => t.reverse_charge)) details.push(`${line} is not marked reverse charge`);
      if (rule.reason !== 'reverse_charge' && l.taxes.some((t) => t.reverse_charge)) details.push(`${line} is marked reverse charge`);
    }
    // A reverse charged customer's invoice with something on it says "Reverse charge"; no one else's does.
    if (rule.reason === 'reverse_charge' ? inv.lines.some((l) => l.amount !== 0) && inv.reverse_charge !== true : inv.reverse_charge === true) {
      details.push(`reverse_charge ${inv.reverse_charge} for a ${rule.reason} customer`);
    }
    if (details.length > 0) add(exp.id, 'invoice-tax-detail', `${where}: ${details.join('; ')}`);
  }
};

const describeItem = (i: ObservedItem) =>
  `${i.metadata.resource_type} [${i.metadata.period_start}, ${i.metadata.period_end}) quantity ${i.metadata.quantity} -> ${i.amount} (item ${i.id}, ${i.invoice ?? 'pending'}, created ${i.created})`;

const numberForms = (n: number): string[] => [String(n), n.toLocaleString('en-US')];

const compareOverage = (exp: ExpectedTenant, obs: ObservedTenant, add: Add) => {
  const items = new Map<string, ObservedItem[]>();
  for (const item of obs.overageItems) {
    const k = overageKey(item.metadata.period_start ?? '?', item.metadata.resource_type ?? '?');
    items.set(k, [...(items.get(k) ?? []), item]);
  }
  const expected = new Map(exp.overage.map((l) => [overageKey(l.period_start, l.resource), l]));

  // Nothing billed twice.
  for (const [k, list] of items) if (list.length > 1) add(exp.id, 'overage-billed-twice', `${list.length} overage items for ${k}: ${list.map(describeItem).join(' | ')}`);

  // Cent for cent.
  for (const [k, want] of expected) {
    const got = items.get(k)?.[0];
    if (!got) {
      add(exp.id, 'overage-missing', `model bills ${describeLine(want)}; Stripe has no item`);
      continue;
    }
    const quantity = Number(got.metadata.quantity);
    const quantityOk = quantity === want.quantity || (want.resource === 'storage_gb' && quantity === want.billable);
    const differs = [
      got.amount !== want.amount ? `amount ${got.amount} != ${want.amount}` : '',
      norm(got.metadata.period_end) !== norm(want.period_end) ? `period end ${norm(got.metadata.period_end)} != ${want.period_end}` : '',
      quantityOk ? '' : `quantity ${got.metadata.quantity} != ${want.quantity}`,
    ].filter(Boolean);
    if (differs.length > 0) add(exp.id, 'overage-amount', `${differs.join(', ')}: model ${describeLine(want)}; Stripe ${describeItem(got)}`);
  }
  for (const [k, list] of items) {
    if (expected.has(k)) continue;
    for (const item of list) add(exp.id, 'overage-unexpected', `Stripe billed ${describeItem(item)}; the model bills nothing for ${k}`);
  }

  // Only against a plan the tenant was on: the item's period lies inside one paid plan interval.
  for (const item of obs.overageItems) {
    const start = Date.parse(item.metadata.period_start ?? '');
    const end = Date.parse(item.metadata.period_end ?? '');
    const inside = exp.intervals.find((i) => Date.parse(i.from) <= start && end <= (i.to === null ? Infinity : Date.parse(i.to)));
    if (!inside) add(exp.id, 'overage-plan', `${describeItem(item)} spans no single plan interval of the tenant: ${fmt(exp.intervals)}`);
    else if (inside.trial) add(exp.id, 'overage-trial', `${describeItem(item)} bills trial usage (${inside.plan_id} trial ${inside.from}..${inside.to})`);
  }

  // Item metadata and the line the tenant sees.
  const mirrorLines = new Map<string, { invoice: ObservedInvoice; line: ObservedInvoice['lines'][number] }[]>();
  for (const inv of obs.invoices) {
    for (const line of inv.lines) {
      if (line.kind !== 'overage') continue;
      const k = `${inv.id} ${norm(line.period_start)} ${line.amount}`;
      mirrorLines.set(k, [...(mirrorLines.get(k) ?? []), { invoice: inv, line }]);
    }
  }
  const invoiceById = new Map(obs.invoices.map((i) => [i.id, i]));
  const subscriptionInvoicesAfter = (created: string) =>
    obs.invoices.filter((i) => (i.billing_reason === 'subscription_cycle' || i.billing_reason === 'subscription_update') && Date.parse(i.created_at) > Date.parse(created));
  for (const item of obs.overageItems) {
    const m = item.metadata;
    const missing = ['kind', 'tenant_id', 'period_start', 'period_end', 'resource_type', 'quantity'].filter((f) => !m[f]);
    if (missing.length > 0 || m.tenant_id !== exp.id) add(exp.id, 'overage-metadata', `item ${item.id} metadata lacks ${missing.join(', ') || '-'} or names another tenant: ${fmt(m)}`);

    if (item.invoice === null) {
      // Pending: only while the subscription goes on and no subscription invoice has been made since.
      const later = subscriptionInvoicesAfter(item.created);
      if (!exp.live || later.length > 0) {
        add(exp.id, 'overage-not-invoiced', `${describeItem(item)} is still pending ${exp.live ? `although ${later.map((l) => `${l.id} (${l.billing_reason} ${l.created_at})`).join(', ')} came after it` : 'and the subscription has ended: it will never be invoiced'}`);
      }
      continue;
    }
    const k = `${item.invoice} ${norm(m.period_start)} ${item.amount}`;
    const seen = mirrorLines.get(k);
    if (!seen || seen.length === 0) {
      add(exp.id, 'overage-invoice-mirror', `${describeItem(item)}: its invoice in GET /invoices has no such overage line (${fmt(invoiceById.get(item.invoice)?.lines ?? 'invoice not mirrored')})`);
      continue;
    }
    const { invoice, line } = seen.shift() as { invoice: ObservedInvoice; line: ObservedInvoice['lines'][number] };
    const want = expected.get(overageKey(m.period_start ?? '', m.resource_type ?? ''));
    if (want) checkDescription(exp.id, line.description, want, m, add);
    if (want && want.amount === line.amount && taxOf(line) !== want.tax) {
      add(exp.id, 'invoice-tax', `overage line ${line.amount} on ${describeInvoice(invoice)} at ${describeRule(exp.tax)}: tax ${taxOf(line) ?? 'missing'}, model ${want.tax} (${describeLine(want)})`);
    }
  }
  for (const [k, left] of mirrorLines) for (const l of left) add(exp.id, 'overage-invoice-mirror', `invoice line ${k} (${l.line.description}) matches no Stripe overage item`);

  // Where the exact invoice is known: the upgrade's proration invoice, an immediate cancel's final invoice.
  for (const want of exp.overage) {
    const item = items.get(overageKey(want.period_start, want.resource))?.[0];
    if (!item) continue;
    const inv = item.invoice ? invoiceById.get(item.invoice) : undefined;
    const where = inv ? `${inv.id} (${inv.billing_reason}, created ${inv.created_at}, lines ${fmt(inv.lines.map((l) => l.kind))})` : 'no invoice (pending)';
    if (want.placement === 'proration_invoice') {
      const ok = inv && inv.billing_reason === 'subscription_update' && norm(inv.created_at) === norm(want.billed_at) && inv.lines.some((l) => l.kind === 'proration');
      if (!ok) add(exp.id, 'overage-placement', `${describeLine(want)}: expected on the proration invoice of the upgrade at ${want.billed_at}; found on ${where}`);
    } else if (want.placement === 'final_invoice_now') {
      const ok = inv && norm(inv.created_at) === norm(want.billed_at) && inv.lines.every((l) => l.kind === 'overage');
      if (!ok) add(exp.id, 'overage-placement', `${describeLine(want)}: expected on a final invoice of its own made at the cancel, ${want.billed_at}; found on ${where}`);
    } else if (want.placement === 'final_invoice' || want.placement === 'own_invoice') {
      const ok = inv && inv.lines.every((l) => l.kind === 'overage');
      if (!ok) add(exp.id, 'overage-placement', `${describeLine(want)}: expected on an overage invoice of its own; found on ${where}`);
    }
  }
};

const LABELS: Record<Resource, RegExp> = {
  users: /user/i,
  devices: /device/i,
  storage_gb: /storage|GB/i,
  api_calls: /api[ _]?call/i,
  alerts: /alert/i,
};

/**
 * The tenant can recompute the line: its description or its Stripe metadata names the period,
 * resource, quantity, included quantity and rate.
 */
const checkDescription = (tenant: string, description: string, want: ExpectedOverageLine, metadata: Record<string, string>, add: Add) => {
  const has = (pattern: RegExp) => Object.keys(metadata).some((k) => pattern.test(k) && metadata[k] !== '');
  const day = new Date(want.period_start);
  const dates = [
    want.period_start.slice(0, 10),
    day.toLocaleDateString('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' }),
    day.toLocaleDateString('en-GB', { month: 'short', day: 'numeric', timeZone: 'UTC' }),
  ];
  const major = want.rate_milli / 100_000;
  const minor = want.rate_milli / 1000;
  const rates = [major.toFixed(2), String(major), `${minor}p`, `${minor}\u00a2`, `${minor} cent`, `${minor} pence`];
  const named: [string, boolean][] = [
    ['period', dates.some((d) => description.includes(d)) || (has(/^period_start$/) && has(/^period_end$/))],
    ['resource', LABELS[want.resource].test(description) || has(/^resource_type$/)],
    ['quantity', [...numberForms(want.quantity), ...numberForms(want.billable)].some((q) => description.includes(q)) || has(/^quantity$/)],
    ['included', numberForms(want.included).some((q) => description.includes(q)) || has(/included/)],
    ['rate', rates.some((r) => description.includes(r)) || has(/rate|unit_price/)],
  ];
  const lacking = named.filter(([, ok]) => !ok).map(([what]) => what);
  if (lacking.length > 0) add(tenant, 'overage-description', `line "${description}" (${want.resource} ${want.period_start}) names no ${lacking.join(', ')} (neither in the text nor the item metadata ${JSON.stringify(metadata)})`);
};

/** Every record counted once: per usage period, the product's quantities are the model's. */
const compareHistory = (exp: ExpectedTenant, obs: ObservedTenant, add: Add) => {
  if (obs.historyError) {
    add(exp.id, 'usage-history', obs.historyError);
    return;
  }
  const got = new Map<string, number>();
  for (const item of obs.history) {
    const k = `${norm(item.start)} ${item.resource_type}`;
    got.set(k, (got.get(k) ?? 0) + item.quantity);
  }
  const known = new Set<string>();
  for (const p of exp.periods) {
    for (const r of RESOURCES) {
      const k = `${norm(p.period_start)} ${r}`;
      known.add(k);
      const want = p.quantity[r];
      const have = got.get(k) ?? 0;
      if (Math.abs(have - want) > 1e-9) {
        add(exp.id, 'usage-history', `${r} in ${p.trial ? 'trial ' : ''}period [${p.period_start}, ${p.period_end}) on ${p.plan_id}: product ${have}, model ${want}`);
      }
    }
  }
  // Usage in no period of the model: tracked, never billed. Counters add up to the never-billed
  // records exactly (each counted once); gauges never exceed the highest never-billed level.
  const outside: Record<string, number[]> = {};
  const where: Record<string, string[]> = {};
  for (const [k, q] of got) {
    if (known.has(k) || q === 0) continue;
    const [start, resource] = k.split(' ') as [string, Resource];
    (outside[resource] ??= []).push(q);
    (where[resource] ??= []).push(`${q} in a period from ${start}`);
  }
  for (const r of RESOURCES) {
    const qs = outside[r] ?? [];
    const want = exp.neverBilled[r];
    const gauge = isGauge(r);
    const have = gauge ? Math.max(0, ...qs) : qs.reduce((a, b) => a + b, 0);
    const ok = gauge ? have <= want + 1e-9 : Math.abs(have - want) < 1e-9;
    if (!ok) add(exp.id, 'usage-history', `${r} outside the model's periods (never billed): product ${(where[r] ?? []).join(', ') || 'nothing'}; model ${want} from ${exp.recordsNeverBilled} never-billed records`);
  }
};

/** SPEC 4b's dunning policy (every plan's in the catalog): full access this long after going past due, then read-only. */
const GRACE_MS = 7 * DAY;
/**
 * Either answer is right this close to the end of the grace period: the product starts it when
 * it records the past-due status, the model at the failed charge.
 */
const GRACE_SLACK_MS = HOUR;

type Access = 'full' | 'read_only' | 'blocked';

/**
 * What access the model's status allows at `now` (SPEC 4b): one level, or two near the end of a
 * grace period or when the model cannot tell when it began. Also the reason codes that go with it.
 */
const expectedAccess = (exp: ExpectedTenant, now: number): { access: Access[]; why: string; reasons: Record<Access, string[]> } => {
  const none = { full: [], read_only: [], blocked: [] };
  switch (exp.status) {
    case 'none':
      return { access: ['blocked'], why: 'no subscription', reasons: { ...none, blocked: ['no_subscription'] } };
    case 'canceled':
      return { access: ['blocked'], why: 'canceled', reasons: { ...none, blocked: ['canceled'] } };
    case 'active':
    case 'trialing':
      // An annual plan's unpaid overage invoice is chased without restricting it.
      return { access: ['full'], why: exp.status, reasons: { ...none, full: ['overage_invoice_unpaid'] } };
    case 'past_due': {
      const reasons = { ...none, full: ['past_due_grace'], read_only: ['past_due'] };
      if (exp.past_due_since === null) return { access: ['full', 'read_only'], why: 'past_due since an unknown time', reasons };
      const graceEnd = Date.parse(exp.past_due_since) + GRACE_MS;
      const why = `past_due since ${exp.past_due_since} (grace to ${new Date(graceEnd).toISOString()})`;
      if (now < graceEnd - GRACE_SLACK_MS) return { access: ['full'], why, reasons };
      if (now >= graceEnd + GRACE_SLACK_MS) return { access: ['read_only'], why, reasons };
      return { access: ['full', 'read_only'], why, reasons };
    }
  }
};

/**
 * `GET /entitlements` (SPEC 4b, issue 18) after a step or at the end of the timeline, against the
 * model and against the rest of the API read at the same instant: its status is the model's (and
 * at the end `GET /subscriptions/current`'s), its plan the model's while live; its usage the
 * model's for the usage period containing `at` (and `GET /usage/current`'s, for the same period),
 * nothing without a live subscription; its overage so far and headroom what that usage costs on
 * the plan; its access what the dunning policy gives the model's status, with everything allowed
 * exactly when access is full (the simulation sets no spend cap).
 */
export const compareEntitlements = (exp: ExpectedTenant, obs: ObservedAccess & { readonly subscription?: ObservedTenant['subscription'] }, add: Add, at: string): void => {
  const e = obs.entitlements;
  if (!e) {
    add(exp.id, 'entitlements-missing', obs.entitlementsError ?? 'GET /entitlements not observed');
    return;
  }
  const now = Date.parse(at);
  const model = `model ${exp.status}${exp.plan ? ` on ${exp.plan.plan_id}/${exp.plan.billing_cycle}` : ''}`;

  // Status and plan.
  const plan: string[] = [];
  const wantStatus = exp.status === 'none' ? null : exp.status;
  if (e.tenant_id !== exp.id) plan.push(`tenant_id ${e.tenant_id}`);
  if (e.status !== wantStatus) plan.push(`status ${e.status}, model ${wantStatus}`);
  if (obs.subscription !== undefined && e.status !== (obs.subscription?.status ?? null)) plan.push(`status ${e.status}, GET /subscriptions/current ${obs.subscription?.status ?? 'none'}`);
  if (exp.plan) {
    if (e.plan_id !== exp.plan.plan_id || e.billing_cycle !== exp.plan.billing_cycle) plan.push(`plan ${e.plan_id}/${e.billing_cycle}, model ${exp.plan.plan_id}/${exp.plan.billing_cycle}`);
    const limits = PLANS[exp.plan.plan_id].limits;
    if (fmt(RESOURCES.map((r) => e.limits?.[r] ?? null)) !== fmt(RESOURCES.map((r) => limits[r]))) plan.push(`limits ${fmt(e.limits)}, ${exp.plan.plan_id}'s ${fmt(limits)}`);
  } else if (exp.status === 'none' && (e.plan_id !== null || e.billing_cycle !== null || e.limits !== null)) {
    plan.push(`plan ${e.plan_id}/${e.billing_cycle} with limits ${fmt(e.limits)} without a subscription`);
  }
  const wantCurrency = exp.status === 'none' ? null : exp.currency;
  if (e.currency !== wantCurrency) plan.push(`currency ${e.currency}, model ${wantCurrency}`);
  if (plan.length > 0) add(exp.id, 'entitlements-plan', `at ${at} (${model}): ${plan.join('; ')}`);

  // This usage period and its usage: the model's running period while live, none otherwise.
  const running = exp.live ? exp.periods.find((p) => p.closed_by === 'running' && Date.parse(p.period_start) <= now && now < Date.parse(p.period_end)) : undefined;
  if (exp.live && !running) add(exp.id, 'harness', `the model has no running usage period containing ${at} for a live subscription: ${fmt(exp.periods.at(-1))}`);
  const usage: string[] = [];
  const wantPeriod = running ? { start: running.period_start, end: running.period_end, trial: running.trial } : null;
  const gotPeriod = e.period ? { start: norm(e.period.start), end: norm(e.period.end), trial: e.period.trial } : null;
  if (fmt(gotPeriod) !== fmt(wantPeriod)) usage.push(`period ${fmt(gotPeriod)}, model ${fmt(wantPeriod)}`);
  const current = obs.currentUsage;
  if (!current) usage.push(obs.currentUsageError ?? 'GET /usage/current not observed');
  const samePeriod = current !== null && e.period !== null && norm(current.period.start) === norm(e.period.start);
  if (current && e.period && !samePeriod) usage.push(`period starts ${norm(e.period.start)}, GET /usage/current's ${norm(current.period.start)}`);
  if (current && running && norm(current.period.start) !== running.period_start) usage.push(`GET /usage/current's period starts ${norm(current.period.start)}, model ${running.period_start}`);
  for (const r of RESOURCES) {
    const got = Number(e.usage?.[r] ?? NaN);
    const want = running ? running.quantity[r] : 0;
    const parts: string[] = [];
    if (!(Math.abs(got - want) < 1e-9)) parts.push(`model ${want}`);
    if (samePeriod && current) {
      const theirs = Number(current.usage?.[r]?.quantity ?? NaN);
      if (!(Math.abs(got - theirs) < 1e-9)) parts.push(`GET /usage/current ${theirs}`);
    }
    if (parts.length > 0) usage.push(`${r} ${e.usage?.[r]}, ${parts.join(', ')}`);
  }
  if (usage.length > 0) {
    const where = running ? `${running.trial ? 'trial ' : ''}period [${running.period_start}, ${running.period_end}) on ${running.plan_id}` : 'no live usage period';
    add(exp.id, 'entitlements-usage', `at ${at} (${model}, ${where}): ${usage.join('; ')}`);
  }

  // What that usage costs so far, and the headroom left in the quota.
  if (running) {
    const costs: string[] = [];
    const billed = !running.trial;
    const scaled = (r: Resource) => scaleAmount(r, running.quantity[r]);
    const want = billed ? RESOURCES.reduce((sum, r) => sum + (overageLine(running.plan_id, exp.currency, r, scaled(r))?.amount ?? 0), 0) : 0;
    if (Number(e.overage_amount) !== want) costs.push(`overage_amount ${e.overage_amount}, model ${want}`);
    // The quota of the plan in force: an upgrade in a trial keeps the trial's usage period (and its `plan_id`).
    const limits = PLANS[exp.plan?.plan_id ?? running.plan_id].limits;
    for (const r of RESOURCES) {
      const left = Math.max(0, limits[r] - billableOf(r, scaled(r)));
      const got = e.headroom?.[r]?.remaining;
      if (got === undefined || got === null || Number(got) !== left) costs.push(`${r} headroom ${got}, model ${left}`);
    }
    if (costs.length > 0) add(exp.id, 'entitlements-overage', `at ${at} (${model}, ${running.trial ? 'trial ' : ''}period from ${running.period_start}): ${costs.join('; ')}`);
  }

  // Access by the dunning policy; allowed exactly when full (no spend cap); the reason given.
  const want = expectedAccess(exp, now);
  const access: string[] = [];
  if (!(want.access as string[]).includes(e.access)) access.push(`access ${e.access}, model ${want.access.join(' or ')} (${want.why})`);
  if (e.spend_cap !== null) access.push(`spend cap ${fmt(e.spend_cap)}; the simulation sets none`);
  const allowed = RESOURCES.filter((r) => e.allowed?.[r] !== (e.access === 'full'));
  if (e.spend_cap === null && allowed.length > 0) access.push(`access ${e.access} but allowed ${fmt(e.allowed)}`);
  const codes = (e.reasons ?? []).map((r) => r.code);
  const fitting = (want.access as string[]).includes(e.access) ? (want.reasons[e.access as Access] ?? []) : [];
  if (codes.some((c) => !fitting.includes(c)) || (e.access !== 'full' && codes.length === 0)) access.push(`reasons ${fmt(codes)} for ${e.access} (fitting: ${fmt(fitting)})`);
  if (exp.status === 'past_due' && exp.past_due_since !== null) {
    // The grace period starts when the subscription went past due: its reason says when it ends or began.
    const since = Date.parse(exp.past_due_since);
    const reason = (e.reasons ?? []).find((r) => r.code === 'past_due_grace' || r.code === 'past_due');
    const wantSince = reason?.code === 'past_due' ? since + GRACE_MS : since;
    if (reason && (reason.since === null || Math.abs(Date.parse(reason.since) - wantSince) > GRACE_SLACK_MS)) {
      access.push(`${reason.code} since ${reason.since}, model ${new Date(wantSince).toISOString()}`);
    }
  }
  if (access.length > 0) add(exp.id, 'entitlements-access', `at ${at} (${model}): ${access.join('; ')}`);
};

/** Problems grouped for a report. */
export const summarize = (problems: readonly Problem[]): string =>
  problems.map((p) => `- [${p.kind}]${p.tenant ? ` ${p.tenant}:` : ''} ${p.message}`).join('\n');
