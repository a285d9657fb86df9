/**
 * The reference billing model: what SPEC sections 3, 4 and 5 say a timeline must be billed,
 * computed from the timeline alone. Pure and deterministic (no I/O, no clock, no randomness),
 * sharing no code with `src/`, `functions/` or `lib/`.
 *
 * Rules (SPEC, made precise by issue 12):
 * - Usage periods: a monthly plan's billing periods; an annual plan's monthly sub-periods from
 *   the billing anchor; a trial is one period [created, trial_end), never billed.
 * - A record counts in the period containing its timestamp (clamped to its receipt time) unless
 *   that period had closed when it arrived (end + 5 min grace, or the instant of an upgrade or an
 *   immediate cancel); then it counts, late, in the period containing its receipt time; with no
 *   period there (no subscription), it is tracked and never billed. Time without a subscription
 *   (before the first one, between two) is such a period too, never billed, closing 5 minutes
 *   after the next subscription starts.
 * - Counters bill the sum, gauges the peak (storage per started GB); an upgrade starts a new
 *   period with counters at zero and gauges at their last level before the upgrade.
 * - Overage per resource: max(0, quantity - included) x rate, rounded half up once per line;
 *   lines of 0 are not billed. Natural closes are billed by the hourly run (the first full hour
 *   at or after end + grace); upgrades and immediate cancels bill at once.
 * - Tax (SPEC 4a, issue 17; `./tax`): prices are tax-exclusive; every line (subscription,
 *   proration, overage) is taxed on its own amount at the tenant's rule, rounded half up away from
 *   zero; an invoice's tax is the sum of its lines', its total the amount before tax plus tax, and
 *   the charge is that total.
 */
import { addMonths, ceilHour, DAY, HOUR, iso, MINUTE, nextBoundary } from './calendar';
import { isGauge, PLANS, priceMinor, RESOURCES, rateMilli, type Currency, type Cycle, type PlanId, type Resource } from './catalog';
import { overageAmount, prorationShare } from './money';
import { lineTax, taxRule, type Country, type TaxRule } from './tax';
import type { Step, Timeline, TimelineTenant, UsageRecordInput } from './timeline';

export const GRACE_MS = 5 * MINUTE;
/** A renewal invoice stays a draft this long, then is finalized and charged. */
export const DRAFT_MS = HOUR;
/**
 * Days from one failed attempt to the next retry; after the last retry fails the subscription
 * ends. Stripe's default for new accounts, Smart Retries: 8 tries within 2 weeks (the local
 * endpoint spreads them 1, 2, 2, 2, 2, 2, 3 days apart, as its docs say).
 */
export const RETRY_GAPS_DAYS = [1, 2, 2, 2, 2, 2, 3] as const;

export type Status = 'trialing' | 'active' | 'past_due';
export type ChangeKind = 'upgrade' | 'downgrade' | 'none';
export type BillingReason = 'subscription_create' | 'subscription_cycle' | 'subscription_update';

export interface ModelLine {
  readonly kind: 'subscription' | 'proration';
  /** Before tax. */
  readonly amount: number;
  /** The tax on `amount` at the tenant's rule. */
  readonly tax: number;
  readonly period_start: string;
  readonly period_end: string;
}

/** A subscription or proration line, taxed by `rule`. */
export const modelLine = (rule: TaxRule, kind: ModelLine['kind'], amount: number, start: number, end: number): ModelLine => ({
  kind,
  amount,
  tax: lineTax(amount, rule.percent),
  period_start: iso(start),
  period_end: iso(end),
});

interface Invoice {
  readonly subSeq: number;
  readonly createdAt: number;
  readonly reason: BillingReason;
  readonly lines: ModelLine[];
  readonly finalizeAt: number;
  /** Upgrade: the usage period it closed (its overage goes on this invoice). */
  readonly overagePeriodStart: number | null;
  attempted: boolean;
  paidAt: number | null;
  failures: number;
  nextRetryAt: number | null;
}

type ClosedBy = 'running' | 'natural' | 'upgrade' | 'cancel_now' | 'dunning';

interface Period {
  readonly subSeq: number;
  readonly start: number;
  end: number;
  readonly plan: PlanId;
  readonly cycle: Cycle;
  readonly trial: boolean;
  /** Records arriving at or after this instant no longer count here. */
  closeAt: number;
  /** When its overage is billed (null: trial, or not closed yet). */
  billAt: number | null;
  closedBy: ClosedBy;
  /** Scaled quantities: counters' sums, gauges' peaks (storage in hundredths of a GB). */
  readonly quantity: Record<Resource, number>;
  /** Gauge levels carried in by an upgrade. */
  readonly carried: Partial<Record<Resource, number>>;
  records: number;
}

interface Sub {
  readonly seq: number;
  plan: PlanId;
  cycle: Cycle;
  status: Status;
  readonly createdAt: number;
  readonly trialEnd: number | null;
  anchor: number;
  periodStart: number;
  periodEnd: number;
  cancelAtPeriodEnd: boolean;
  pending: { plan: PlanId; cycle: Cycle } | null;
  /**
   * What an upgrade in this period charged for the rest of it ("Remaining time on ..."), from when:
   * in flexible billing mode, Stripe's default since 2025-09-30, a later change in the same
   * period credits the unused share of that amount, not of the price. Null: the period's price.
   */
  debited: { amount: number; from: number } | null;
}

interface RecordEntry {
  readonly resource: Resource;
  readonly scaled: number;
  readonly ts: number;
  readonly receivedAt: number;
  /** Index into the tenant's periods, or null: never billed. */
  readonly period: number | null;
  readonly late: boolean;
}

export interface PlanInterval {
  readonly subSeq: number;
  readonly from: number;
  to: number | null;
  readonly plan: PlanId;
  readonly cycle: Cycle;
  readonly trial: boolean;
}

interface TenantState {
  readonly id: string;
  readonly currency: Currency;
  readonly tax: TaxRule;
  trialUsed: boolean;
  cardGood: boolean;
  subs: number;
  sub: Sub | null;
  /** When each subscription (by seq) ended; absent while live. */
  readonly endedAt: Map<number, number>;
  readonly periods: Period[];
  readonly records: RecordEntry[];
  readonly invoices: Invoice[];
  readonly intervals: PlanInterval[];
}

/** What the tenant looks like to someone choosing the next action. */
export interface TenantView {
  readonly id: string;
  readonly currency: Currency;
  readonly trialUsed: boolean;
  readonly cardGood: boolean;
  readonly sub: {
    readonly plan: PlanId;
    readonly cycle: Cycle;
    readonly status: Status;
    readonly cancelAtPeriodEnd: boolean;
    readonly pending: { plan: PlanId; cycle: Cycle } | null;
  } | null;
}

export type Placement = 'proration_invoice' | 'final_invoice_now' | 'final_invoice' | 'renewal_or_next' | 'own_invoice';

export interface ExpectedOverageLine {
  readonly period_start: string;
  readonly period_end: string;
  readonly resource: Resource;
  /** Measured quantity (a gauge's peak, storage with decimals; a counter's sum). */
  readonly quantity: number;
  /** Billed quantity (storage per started GB). */
  readonly billable: number;
  readonly included: number;
  readonly rate_milli: number;
  /** Before tax. */
  readonly amount: number;
  /** The tax on the invoice line this item becomes (overage is tax-exclusive like the prices). */
  readonly tax: number;
  readonly plan_id: PlanId;
  readonly billed_at: string;
  readonly placement: Placement;
}

export interface ExpectedInvoice {
  readonly created_at: string;
  readonly billing_reason: BillingReason;
  readonly status: 'draft' | 'open' | 'paid';
  readonly lines: readonly ModelLine[];
  /**
   * Of the lines above: their amounts, their tax, and both together. Overage lines the product
   * puts on the same invoice (a renewal's, an upgrade's) add their own amount and tax.
   */
  readonly subtotal: number;
  readonly tax: number;
  readonly total: number;
  /** Upgrade: the start of the usage period whose overage this invoice carries. */
  readonly overage_period_start: string | null;
}

export interface ExpectedPeriod {
  readonly period_start: string;
  readonly period_end: string;
  readonly plan_id: PlanId;
  readonly trial: boolean;
  readonly closed_by: ClosedBy;
  readonly billed: boolean;
  /** Measured quantities (storage in GB with decimals). */
  readonly quantity: Record<Resource, number>;
  readonly records: number;
}

export interface ExpectedTenant {
  readonly id: string;
  readonly currency: Currency;
  readonly country: Country;
  /** How each of its invoice lines is taxed. */
  readonly tax: TaxRule;
  readonly live: boolean;
  readonly status: Status | 'canceled' | 'none';
  /** The live subscription's plan and pending downgrade. */
  readonly plan: { plan_id: PlanId; billing_cycle: Cycle; pending: { plan_id: PlanId; billing_cycle: Cycle } | null; cancel_at_period_end: boolean } | null;
  /** While `past_due`: since when, without a return to `active` (null otherwise). */
  readonly past_due_since: string | null;
  readonly invoices: readonly ExpectedInvoice[];
  readonly overage: readonly ExpectedOverageLine[];
  readonly periods: readonly ExpectedPeriod[];
  readonly intervals: readonly { from: string; to: string | null; plan_id: PlanId; billing_cycle: Cycle; trial: boolean }[];
  readonly recordsNeverBilled: number;
  /** What the never-billed records add up to: counters' sums, gauges' highest level. */
  readonly neverBilled: Record<Resource, number>;
  readonly recordsInTrial: number;
  readonly recordsLate: number;
}

export interface ExpectedBilling {
  readonly at: string;
  readonly tenants: readonly ExpectedTenant[];
}

export interface StepExpectation {
  /** For a plan change: what the change is. */
  readonly kind?: ChangeKind;
}

const emptyQuantities = (): Record<Resource, number> => ({ users: 0, devices: 0, storage_gb: 0, api_calls: 0, alerts: 0 });

/** Storage is counted in hundredths of a GB so decimals stay exact. */
export const scaleAmount = (resource: Resource, amount: number): number => (resource === 'storage_gb' ? Math.round(amount * 100) : amount);
export const unscale = (resource: Resource, scaled: number): number => (resource === 'storage_gb' ? scaled / 100 : scaled);
/** The quantity a period bills: storage per started GB. */
export const billableOf = (resource: Resource, scaled: number): number => (resource === 'storage_gb' ? Math.floor((scaled + 99) / 100) : scaled);

/** One resource's overage line for a period on a plan; null when nothing is owed. */
export const overageLine = (
  planId: PlanId,
  currency: Currency,
  resource: Resource,
  scaledQuantity: number,
): { billable: number; included: number; rate_milli: number; amount: number } | null => {
  const billable = billableOf(resource, scaledQuantity);
  const included = PLANS[planId].limits[resource];
  const rate = rateMilli(currency, resource);
  const amount = overageAmount(Math.max(0, billable - included), rate);
  return amount > 0 ? { billable, included, rate_milli: rate, amount } : null;
};

/** upgrade / downgrade / none by the price per billing period (SPEC 4: "changing cycle follows the same rule by price"). */
export const classifyChange = (currency: Currency, from: { plan: PlanId; cycle: Cycle }, to: { plan: PlanId; cycle: Cycle }): ChangeKind => {
  if (from.plan === to.plan && from.cycle === to.cycle) return 'none';
  const a = priceMinor(from.plan, currency, from.cycle);
  const b = priceMinor(to.plan, currency, to.cycle);
  if (a === b) throw new Error(`model: ${from.plan}/${from.cycle} and ${to.plan}/${to.cycle} cost the same; SPEC does not say what that change is`);
  return b > a ? 'upgrade' : 'downgrade';
};

const stepMonths = (cycle: Cycle): number => (cycle === 'annual' ? 12 : 1);

/**
 * The model, step by step: `apply` each step of a timeline in order, then `expected(at)`.
 * Deterministic; `simulate` below is the one-call form.
 */
export class BillingModel {
  private readonly tenants = new Map<string, TenantState>();
  private now: number;

  constructor(start: number, tenants: readonly TimelineTenant[]) {
    this.now = start;
    for (const t of tenants) {
      this.tenants.set(t.id, {
        id: t.id,
        currency: t.currency,
        tax: taxRule(t.country ?? 'US', t.tax_ids ?? []),
        trialUsed: false,
        cardGood: true,
        subs: 0,
        sub: null,
        endedAt: new Map(),
        periods: [],
        records: [],
        invoices: [],
        intervals: [],
      });
    }
  }

  time(): number {
    return this.now;
  }

  view(tenantId: string): TenantView {
    const t = this.tenant(tenantId);
    return {
      id: t.id,
      currency: t.currency,
      trialUsed: t.trialUsed,
      cardGood: t.cardGood,
      sub: t.sub
        ? { plan: t.sub.plan, cycle: t.sub.cycle, status: t.sub.status, cancelAtPeriodEnd: t.sub.cancelAtPeriodEnd, pending: t.sub.pending }
        : null,
    };
  }

  /** Moves time to `at`: every trial end, period end, renewal, charge and retry due by then happens, in order. */
  advance(at: number): void {
    if (at < this.now) throw new Error(`model: time goes forward only (${iso(at)} < ${iso(this.now)})`);
    for (const t of this.tenants.values()) this.runDue(t, at);
    this.now = at;
  }

  apply(step: Step): StepExpectation {
    const at = Date.parse(step.at);
    this.advance(at);
    if (step.do === 'advance') return {};
    const t = this.tenant(step.tenant);
    switch (step.do) {
      case 'create':
        this.create(t, at, step.plan_id, step.billing_cycle, step.trial_days, step.payment_method === 'pm_card_visa');
        return {};
      case 'usage':
        for (const r of step.records) this.track(t, at, r);
        return {};
      case 'change':
        return { kind: this.change(t, at, step.plan_id, step.billing_cycle) };
      case 'cancel_at_period_end':
        this.live(t, step.do).cancelAtPeriodEnd = true;
        return {};
      case 'undo_cancel':
        this.live(t, step.do).cancelAtPeriodEnd = false;
        return {};
      case 'cancel_now':
        this.live(t, step.do);
        this.endSub(t, at, 'cancel_now');
        return {};
      case 'fix_card':
        t.cardGood = true;
        return {};
    }
  }

  /** What must have been billed, and how, once the clock stands at `at`. */
  expected(at: number): ExpectedBilling {
    this.advance(at);
    return { at: iso(at), tenants: [...this.tenants.values()].map((t) => this.expectedTenant(t, at)) };
  }

  // ---- tenant actions ----

  private create(t: TenantState, at: number, plan: PlanId, cycle: Cycle, trialDays: number, goodCard: boolean): void {
    if (t.sub) throw new Error(`model: ${t.id} already has a live subscription`);
    if (trialDays > 0 && t.trialUsed) throw new Error(`model: ${t.id} already had its trial`);
    t.cardGood = goodCard;
    t.subs += 1;
    const seq = t.subs;
    const price = priceMinor(plan, t.currency, cycle);
    if (trialDays > 0) {
      t.trialUsed = true;
      const trialEnd = at + trialDays * DAY;
      t.sub = { seq, plan, cycle, status: 'trialing', createdAt: at, trialEnd, anchor: trialEnd, periodStart: at, periodEnd: trialEnd, cancelAtPeriodEnd: false, pending: null, debited: null };
      // Stripe's $0 trial invoice.
      this.addInvoice(t, { subSeq: seq, createdAt: at, reason: 'subscription_create', finalizeAt: at, overagePeriodStart: null, lines: [modelLine(t.tax, 'subscription', 0, at, trialEnd)] });
      this.openPeriod(t, seq, at, trialEnd, plan, cycle, true, {});
      t.intervals.push({ subSeq: seq, from: at, to: null, plan, cycle, trial: true });
      return;
    }
    if (!goodCard) throw new Error('model: a subscription without a trial on a declining card (Stripe `incomplete`) is outside the model');
    const end = addMonths(at, stepMonths(cycle));
    t.sub = { seq, plan, cycle, status: 'active', createdAt: at, trialEnd: null, anchor: at, periodStart: at, periodEnd: end, cancelAtPeriodEnd: false, pending: null, debited: null };
    this.addInvoice(t, { subSeq: seq, createdAt: at, reason: 'subscription_create', finalizeAt: at, overagePeriodStart: null, lines: [modelLine(t.tax, 'subscription', price, at, end)] });
    this.openPeriod(t, seq, at, addMonths(at, 1), plan, cycle, false, {});
    t.intervals.push({ subSeq: seq, from: at, to: null, plan, cycle, trial: false });
  }

  private change(t: TenantState, at: number, plan: PlanId, cycle: Cycle): ChangeKind {
    const sub = this.live(t, 'change');
    const kind = classifyChange(t.currency, sub, { plan, cycle });
    if (kind === 'none') {
      sub.pending = null;
      return kind;
    }
    if (kind === 'downgrade') {
      sub.pending = { plan, cycle };
      return kind;
    }
    // Upgrade: now.
    sub.pending = null;
    if (sub.status === 'trialing') {
      // No invoice, no proration; the trial goes on, on the new plan.
      this.switchInterval(t, sub.seq, at, plan, cycle, true);
      sub.plan = plan;
      sub.cycle = cycle;
      return kind;
    }
    if (sub.status !== 'active') throw new Error(`model: upgrading a ${sub.status} subscription is outside the model`);
    const oldPrice = priceMinor(sub.plan, t.currency, sub.cycle);
    const newPrice = priceMinor(plan, t.currency, cycle);
    const closed = this.runningPeriod(t);
    closed.end = at;
    closed.closeAt = at;
    closed.billAt = at;
    closed.closedBy = 'upgrade';
    const s = (ms: number) => ms / 1000;
    const credit = sub.debited
      ? prorationShare(sub.debited.amount, s(sub.debited.from), s(sub.periodEnd), s(at))
      : prorationShare(oldPrice, s(sub.periodStart), s(sub.periodEnd), s(at));
    let lines: ModelLine[];
    if (cycle === sub.cycle) {
      const charge = prorationShare(newPrice, s(sub.periodStart), s(sub.periodEnd), s(at));
      sub.debited = { amount: charge, from: at };
      lines = [
        modelLine(t.tax, 'proration', -credit, at, sub.periodEnd),
        modelLine(t.tax, 'proration', charge, at, sub.periodEnd),
      ];
    } else {
      // Another interval: Stripe resets the billing cycle to now and bills the new period in full.
      const newEnd = addMonths(at, stepMonths(cycle));
      lines = [
        modelLine(t.tax, 'proration', -credit, at, sub.periodEnd),
        modelLine(t.tax, 'subscription', newPrice, at, newEnd),
      ];
      sub.anchor = at;
      sub.periodStart = at;
      sub.periodEnd = newEnd;
      sub.debited = null;
    }
    this.addInvoice(t, { subSeq: sub.seq, createdAt: at, reason: 'subscription_update', finalizeAt: at, overagePeriodStart: closed.start, lines });
    sub.plan = plan;
    sub.cycle = cycle;
    this.switchInterval(t, sub.seq, at, plan, cycle, false);
    const usageEnd = cycle === 'monthly' ? sub.periodEnd : nextBoundary(sub.anchor, 1, at);
    this.openPeriod(t, sub.seq, at, usageEnd, plan, cycle, false, this.gaugeLevelsBefore(t, at));
    return kind;
  }

  private track(t: TenantState, receivedAt: number, input: UsageRecordInput): void {
    const resource = input.resource_type;
    const scaled = scaleAmount(resource, input.usage_amount);
    const ts = input.timestamp === undefined ? receivedAt : Math.min(Date.parse(input.timestamp), receivedAt);
    const containing = t.periods.findIndex((p) => p.start <= ts && ts < p.end);
    let index: number | null = null;
    let late = false;
    if (containing >= 0 && receivedAt < (t.periods[containing] as Period).closeAt) {
      index = containing;
    } else if (containing < 0 && this.gapOpen(t, ts, receivedAt)) {
      // Stamped in time without a subscription, and that time has not closed: tracked, never billed.
      index = null;
    } else {
      // Its period had closed (or there was none): the open period containing the receipt time, marked late.
      const open = t.periods.findIndex((p) => p.start <= receivedAt && receivedAt < p.end && receivedAt < p.closeAt);
      index = open >= 0 ? open : null;
      late = true;
    }
    t.records.push({ resource, scaled, ts, receivedAt, period: index, late });
    if (index === null) return;
    const p = t.periods[index] as Period;
    p.records += 1;
    p.quantity[resource] = isGauge(resource) ? Math.max(p.quantity[resource], scaled) : p.quantity[resource] + scaled;
  }

  /**
   * Time without a subscription is a period of its own, never billed: it ends when the next
   * subscription starts and closes, like any period, 5 minutes later. Is the one around `ts`
   * still open at `receivedAt`?
   */
  private gapOpen(t: TenantState, ts: number, receivedAt: number): boolean {
    const next = t.periods.find((p) => p.start > ts);
    return next === undefined || receivedAt < next.start + GRACE_MS;
  }

  // ---- time ----

  private runDue(t: TenantState, until: number): void {
    for (let guard = 0; guard < 10_000; guard += 1) {
      const next = this.nextDue(t);
      if (next === null || next > until) return;
      this.runAt(t, next);
    }
    throw new Error('model: runaway event loop');
  }

  private nextDue(t: TenantState): number | null {
    const times: number[] = [];
    const sub = t.sub;
    if (sub) {
      times.push(sub.status === 'trialing' ? (sub.trialEnd as number) : sub.periodEnd);
      const running = t.periods.at(-1);
      if (running && running.closedBy === 'running') times.push(running.end);
    }
    for (const inv of t.invoices) {
      if (!inv.attempted) times.push(inv.finalizeAt);
      if (inv.nextRetryAt !== null) times.push(inv.nextRetryAt);
    }
    return times.length === 0 ? null : Math.min(...times);
  }

  private runAt(t: TenantState, at: number): void {
    const sub = t.sub;
    // 1. Trial end or billing period end (the schedule's price switch, cancel at period end, renewal).
    if (sub && sub.status === 'trialing' && sub.trialEnd === at) this.trialEnds(t, sub, at);
    else if (sub && sub.status !== 'trialing' && sub.periodEnd === at) this.periodEnds(t, sub, at);
    // 2. A usage sub-period of an annual plan ends inside the paid year.
    const running = t.periods.at(-1);
    if (t.sub && running && running.closedBy === 'running' && running.end === at) {
      this.closeNaturally(running);
      this.openPeriod(t, t.sub.seq, at, nextBoundary(t.sub.anchor, 1, at), t.sub.plan, t.sub.cycle, false, {});
    }
    // 3. Drafts finalized and charged; 4. retries.
    for (const inv of t.invoices) {
      if (inv.finalizeAt === at && !inv.attempted) this.charge(t, inv, at);
      if (inv.nextRetryAt === at) this.charge(t, inv, at);
    }
  }

  private trialEnds(t: TenantState, sub: Sub, at: number): void {
    const trial = this.runningPeriod(t);
    this.closeNaturally(trial);
    if (sub.cancelAtPeriodEnd) {
      this.endSub(t, at, 'period_end');
      return;
    }
    if (sub.pending) {
      sub.plan = sub.pending.plan;
      sub.cycle = sub.pending.cycle;
      sub.pending = null;
    }
    sub.status = 'active';
    sub.anchor = at;
    sub.periodStart = at;
    sub.debited = null;
    sub.periodEnd = addMonths(at, stepMonths(sub.cycle));
    this.switchInterval(t, sub.seq, at, sub.plan, sub.cycle, false);
    this.renewalInvoice(t, sub, at);
    this.openPeriod(t, sub.seq, at, addMonths(at, 1), sub.plan, sub.cycle, false, {});
  }

  private periodEnds(t: TenantState, sub: Sub, at: number): void {
    const running = this.runningPeriod(t);
    if (running.end !== at) throw new Error(`model: usage period ${iso(running.start)}..${iso(running.end)} is not aligned with the billing period end ${iso(at)}`);
    if (sub.cancelAtPeriodEnd) {
      this.closeNaturally(running);
      this.endSub(t, at, 'period_end');
      return;
    }
    if (sub.pending) {
      if (sub.pending.cycle !== sub.cycle) sub.anchor = at;
      const changed = sub.pending;
      sub.plan = changed.plan;
      sub.cycle = changed.cycle;
      sub.pending = null;
      this.switchInterval(t, sub.seq, at, sub.plan, sub.cycle, false);
    }
    sub.periodStart = at;
    sub.periodEnd = nextBoundary(sub.anchor, stepMonths(sub.cycle), at);
    sub.debited = null;
    this.renewalInvoice(t, sub, at);
    this.closeNaturally(running);
    this.openPeriod(t, sub.seq, at, nextBoundary(sub.anchor, 1, at), sub.plan, sub.cycle, false, {});
  }

  private renewalInvoice(t: TenantState, sub: Sub, at: number): void {
    this.addInvoice(t, {
      subSeq: sub.seq,
      createdAt: at,
      reason: 'subscription_cycle',
      finalizeAt: at + DRAFT_MS,
      overagePeriodStart: null,
      lines: [modelLine(t.tax, 'subscription', priceMinor(sub.plan, t.currency, sub.cycle), sub.periodStart, sub.periodEnd)],
    });
  }

  private addInvoice(t: TenantState, inv: Omit<Invoice, 'attempted' | 'paidAt' | 'failures' | 'nextRetryAt'>): void {
    const invoice: Invoice = { ...inv, attempted: false, paidAt: null, failures: 0, nextRetryAt: null };
    t.invoices.push(invoice);
    if (invoice.finalizeAt === invoice.createdAt) this.charge(t, invoice, invoice.createdAt);
  }

  private charge(t: TenantState, inv: Invoice, at: number): void {
    inv.attempted = true;
    inv.nextRetryAt = null;
    // What is charged includes the tax.
    const total = inv.lines.reduce((sum, l) => sum + l.amount + l.tax, 0);
    if (total <= 0 || t.cardGood) {
      inv.paidAt = at;
      const sub = t.sub;
      if (sub && sub.seq === inv.subSeq && sub.status === 'past_due' && !t.invoices.some((i) => i.subSeq === sub.seq && i.paidAt === null && i.failures > 0)) {
        sub.status = 'active';
      }
      return;
    }
    inv.failures += 1;
    const live = t.sub && t.sub.seq === inv.subSeq ? t.sub : null;
    if (inv.failures <= RETRY_GAPS_DAYS.length) {
      if (live) {
        live.status = 'past_due';
        inv.nextRetryAt = at + (RETRY_GAPS_DAYS[inv.failures - 1] as number) * DAY;
      }
      return;
    }
    if (live) this.endSub(t, at, 'dunning');
  }

  // ---- periods ----

  private openPeriod(t: TenantState, subSeq: number, start: number, end: number, plan: PlanId, cycle: Cycle, trial: boolean, carried: Partial<Record<Resource, number>>): void {
    const quantity = emptyQuantities();
    for (const [r, level] of Object.entries(carried) as [Resource, number][]) quantity[r] = level;
    t.periods.push({ subSeq, start, end, plan, cycle, trial, closeAt: end + GRACE_MS, billAt: null, closedBy: 'running', quantity, carried, records: 0 });
  }

  private closeNaturally(p: Period): void {
    p.closedBy = 'natural';
    p.closeAt = p.end + GRACE_MS;
    p.billAt = p.trial ? null : ceilHour(p.closeAt);
  }

  private runningPeriod(t: TenantState): Period {
    const p = t.periods.at(-1);
    if (!p || p.closedBy !== 'running') throw new Error(`model: ${t.id} has no running usage period`);
    return p;
  }

  /** The last level reported before `at`, by timestamp, of every gauge. */
  private gaugeLevelsBefore(t: TenantState, at: number): Partial<Record<Resource, number>> {
    const levels: Partial<Record<Resource, number>> = {};
    const latest: Partial<Record<Resource, number>> = {};
    for (const r of t.records) {
      if (!isGauge(r.resource) || r.ts >= at || r.receivedAt > at) continue;
      const seen = latest[r.resource];
      if (seen === undefined || r.ts >= seen) {
        latest[r.resource] = r.ts;
        levels[r.resource] = r.scaled;
      }
    }
    return levels;
  }

  private endSub(t: TenantState, at: number, cause: 'cancel_now' | 'dunning' | 'period_end'): void {
    const sub = t.sub;
    if (!sub) throw new Error(`model: ${t.id} has no subscription to end`);
    const running = t.periods.at(-1);
    if (running && running.closedBy === 'running') {
      running.end = at;
      if (cause === 'cancel_now') {
        running.closedBy = 'cancel_now';
        running.closeAt = at;
        running.billAt = running.trial ? null : at;
      } else {
        running.closedBy = cause === 'dunning' ? 'dunning' : 'natural';
        running.closeAt = at + GRACE_MS;
        running.billAt = running.trial ? null : ceilHour(running.closeAt);
      }
    }
    for (const inv of t.invoices) if (inv.subSeq === sub.seq) inv.nextRetryAt = null;
    const interval = t.intervals.at(-1);
    if (interval && interval.to === null) interval.to = at;
    t.endedAt.set(sub.seq, at);
    t.sub = null;
  }

  private switchInterval(t: TenantState, subSeq: number, at: number, plan: PlanId, cycle: Cycle, trial: boolean): void {
    const last = t.intervals.at(-1);
    if (last && last.to === null) {
      if (last.plan === plan && last.cycle === cycle && last.trial === trial) return;
      last.to = at;
    }
    t.intervals.push({ subSeq, from: at, to: null, plan, cycle, trial });
  }

  // ---- results ----

  private expectedTenant(t: TenantState, at: number): ExpectedTenant {
    const overage: ExpectedOverageLine[] = [];
    for (const p of t.periods) {
      if (p.trial || p.billAt === null || p.billAt > at) continue;
      const ended = t.endedAt.get(p.subSeq);
      const placement: Placement =
        p.closedBy === 'upgrade'
          ? 'proration_invoice'
          : p.closedBy === 'cancel_now'
            ? 'final_invoice_now'
            : ended !== undefined && ended <= p.billAt
              ? 'final_invoice'
              : p.cycle === 'annual'
                ? 'own_invoice'
                : 'renewal_or_next';
      for (const resource of RESOURCES) {
        const line = overageLine(p.plan, t.currency, resource, p.quantity[resource]);
        if (!line) continue;
        overage.push({
          period_start: iso(p.start),
          period_end: iso(p.end),
          resource,
          quantity: unscale(resource, p.quantity[resource]),
          ...line,
          tax: lineTax(line.amount, t.tax.percent),
          plan_id: p.plan,
          billed_at: iso(p.billAt),
          placement,
        });
      }
    }
    const invoices: ExpectedInvoice[] = t.invoices.map((inv) => {
      const subtotal = inv.lines.reduce((sum, l) => sum + l.amount, 0);
      const tax = inv.lines.reduce((sum, l) => sum + l.tax, 0);
      return {
        created_at: iso(inv.createdAt),
        billing_reason: inv.reason,
        status: inv.finalizeAt > at ? 'draft' : inv.paidAt !== null && inv.paidAt <= at ? 'paid' : 'open',
        lines: inv.lines,
        subtotal,
        tax,
        total: subtotal + tax,
        overage_period_start: inv.overagePeriodStart === null ? null : iso(inv.overagePeriodStart),
      };
    });
    const periods: ExpectedPeriod[] = t.periods.map((p) => ({
      period_start: iso(p.start),
      period_end: iso(p.end),
      plan_id: p.plan,
      trial: p.trial,
      closed_by: p.closedBy,
      billed: !p.trial && p.billAt !== null && p.billAt <= at,
      quantity: Object.fromEntries(RESOURCES.map((r) => [r, unscale(r, p.quantity[r])])) as Record<Resource, number>,
      records: p.records,
    }));
    return {
      id: t.id,
      currency: t.currency,
      country: t.tax.country,
      tax: t.tax,
      live: t.sub !== null,
      status: t.sub ? t.sub.status : t.subs > 0 ? 'canceled' : 'none',
      plan: t.sub
        ? {
            plan_id: t.sub.plan,
            billing_cycle: t.sub.cycle,
            pending: t.sub.pending ? { plan_id: t.sub.pending.plan, billing_cycle: t.sub.pending.cycle } : null,
            cancel_at_period_end: t.sub.cancelAtPeriodEnd,
          }
        : null,
      past_due_since: this.pastDueSince(t, at),
      invoices,
      overage,
      periods,
      intervals: t.intervals.map((i) => ({ from: iso(i.from), to: i.to === null ? null : iso(i.to), plan_id: i.plan, billing_cycle: i.cycle, trial: i.trial })),
      recordsNeverBilled: t.records.filter((r) => r.period === null).length,
      neverBilled: Object.fromEntries(
        RESOURCES.map((res) => {
          const scaled = t.records.filter((r) => r.period === null && r.resource === res).map((r) => r.scaled);
          const total = isGauge(res) ? Math.max(0, ...scaled) : scaled.reduce((a, b) => a + b, 0);
          return [res, unscale(res, total)];
        }),
      ) as Record<Resource, number>,
      recordsInTrial: t.records.filter((r) => r.period !== null && (t.periods[r.period] as Period).trial).length,
      recordsLate: t.records.filter((r) => r.late && r.period !== null).length,
    };
  }

  /**
   * Read only, for the entitlements check: a failed invoice has been overdue from its first
   * attempt (`finalizeAt`) until it was paid; the live subscription has been past due since the
   * start of the unbroken run of those spans that reaches `at`.
   */
  private pastDueSince(t: TenantState, at: number): string | null {
    const sub = t.sub;
    if (!sub || sub.status !== 'past_due') return null;
    const spans = t.invoices
      .filter((i) => i.subSeq === sub.seq && i.failures > 0 && i.finalizeAt <= at)
      .map((i) => ({ from: i.finalizeAt, to: i.paidAt ?? Infinity }))
      .sort((a, b) => a.from - b.from);
    let since: number | null = null;
    let reach = -Infinity;
    for (const s of spans) {
      if (since === null || s.from >= reach) since = s.from;
      reach = Math.max(reach, s.to);
    }
    return since === null ? null : iso(since);
  }

  private tenant(id: string): TenantState {
    const t = this.tenants.get(id);
    if (!t) throw new Error(`model: unknown tenant ${id}`);
    return t;
  }

  private live(t: TenantState, what: string): Sub {
    if (!t.sub) throw new Error(`model: ${what} needs a live subscription (${t.id} has none)`);
    return t.sub;
  }
}

/** The whole timeline through the model, read at `at` (default: the last step). */
export const simulate = (timeline: Timeline, at?: string): ExpectedBilling => {
  const model = new BillingModel(Date.parse(timeline.start), timeline.tenants);
  for (const step of timeline.steps) model.apply(step);
  return model.expected(at === undefined ? model.time() : Date.parse(at));
};
