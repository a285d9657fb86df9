/**
 * Random lifecycle timelines. fast-check generates *intents* ("upgrade to the 2nd higher plan",
 * "advance 3 days", "a record 40% of the quota, backdated 2 hours"); `resolveTimeline` turns
 * them into a concrete `Timeline` by asking the reference model what each tenant looks like at
 * that instant (so every action is one the tenant can take). Shrinking works on the intents;
 * the resolved timeline is what runs, what the model bills and what a regression test replays.
 */
import fc from 'fast-check';
import { addMonths, DAY, HOUR, iso, MINUTE, SECOND } from '../model/calendar';
import { CURRENCIES, GAUGES, PLAN_IDS, PLANS, priceMinor, RESOURCES, type Currency, type Cycle, type PlanId, type Resource } from '../model/catalog';
import { BillingModel } from '../model/billing-model';
import type { Country, TaxIdInput } from '../model/tax';
import type { Step, Timeline, TimelineTenant, UsageRecordInput } from '../model/timeline';

export interface RecordIntent {
  readonly resource: Resource;
  /** Permille of the tenant's current quota for this resource (> 1000: over quota). */
  readonly permille: number;
  /** A little more: whole units for counters and users/devices, hundredths of a GB for storage. */
  readonly extra: number;
  readonly when: 'now' | 'back' | 'future';
  /** Seconds back (up to 3 days) or ahead (up to 290 s). */
  readonly seconds: number;
  /** Sub-second part of a backdated timestamp, so no two gauge readings share an instant. */
  readonly ms: number;
}

export interface CreateIntent {
  readonly plan: number;
  readonly annual: boolean;
  readonly trialDays: number;
  readonly declining: boolean;
}

export type ActIntent =
  | ({ readonly k: 'create' } & CreateIntent)
  | { readonly k: 'usage'; readonly records: readonly RecordIntent[] }
  | { readonly k: 'upgrade'; readonly pick: number }
  | { readonly k: 'downgrade'; readonly pick: number }
  | { readonly k: 'cycle' }
  | { readonly k: 'same' }
  | { readonly k: 'cancel_at_period_end' }
  | { readonly k: 'undo_cancel' }
  | { readonly k: 'cancel_now' }
  | { readonly k: 'fix_card' };

export type StepIntent = { readonly k: 'advance'; readonly seconds: number } | { readonly k: 'act'; readonly tenant: number; readonly gap: number; readonly a: ActIntent };

export interface TenantIntent {
  readonly currency: Currency;
  /** Usage sent before the tenant's first subscription (tracked, never billed; or late if stamped then and sent later). */
  readonly before: readonly RecordIntent[];
  readonly create: CreateIntent;
}

/** Where a tenant is billed (SPEC 4a): its country and whether it gives its VAT number. */
export interface BillingIntent {
  readonly country: Country;
  /** An `eu_vat` ID in an EU member state (reverse charge, but in Ireland), a `gb_vat` one in the UK, none in the US. */
  readonly vatId: boolean;
}

export interface TimelineIntent {
  /** Day of month (1-31; a month without it uses its last day) and second of the day the timeline starts at. */
  readonly day: number;
  readonly secondOfDay: number;
  readonly tenants: readonly TenantIntent[];
  readonly steps: readonly StepIntent[];
  /**
   * The n-th tenant's billing place (a tenant without one is in the US). Kept apart from
   * `tenants`, and drawn last: fast-check draws a record's keys in order, so a seed still draws the
   * timelines it drew before tax, each tenant now somewhere.
   */
  readonly billing: readonly BillingIntent[];
}

/** A timeline spans at most this long, so one usage-history query covers it. */
export const MAX_SPAN_MS = 120 * DAY;

const recordArb: fc.Arbitrary<RecordIntent> = fc.record({
  resource: fc.constantFrom(...RESOURCES),
  permille: fc.oneof({ arbitrary: fc.integer({ min: 0, max: 900 }), weight: 2 }, { arbitrary: fc.integer({ min: 900, max: 1_600 }), weight: 3 }),
  extra: fc.integer({ min: 0, max: 99 }),
  when: fc.constantFrom<RecordIntent['when']>('now', 'now', 'back', 'back', 'future'),
  seconds: fc.oneof(fc.integer({ min: 1, max: 290 }), fc.integer({ min: 1, max: 3 * 86_400 })),
  ms: fc.integer({ min: 1, max: 999 }),
});

const createArb: fc.Arbitrary<CreateIntent> = fc.record({
  plan: fc.integer({ min: 0, max: PLAN_IDS.length - 1 }),
  annual: fc.boolean(),
  trialDays: fc.oneof({ arbitrary: fc.constant(0), weight: 2 }, { arbitrary: fc.integer({ min: 1, max: 5 }), weight: 2 }),
  declining: fc.oneof({ arbitrary: fc.constant(false), weight: 3 }, { arbitrary: fc.constant(true), weight: 1 }),
});

const actArb: fc.Arbitrary<ActIntent> = fc.oneof(
  { arbitrary: fc.record({ k: fc.constant('usage' as const), records: fc.array(recordArb, { minLength: 1, maxLength: 4 }) }), weight: 8 },
  { arbitrary: fc.record({ k: fc.constant('upgrade' as const), pick: fc.nat(9) }), weight: 3 },
  { arbitrary: fc.record({ k: fc.constant('downgrade' as const), pick: fc.nat(9) }), weight: 2 },
  { arbitrary: fc.constant({ k: 'cycle' as const }), weight: 1 },
  { arbitrary: fc.constant({ k: 'same' as const }), weight: 1 },
  { arbitrary: fc.constant({ k: 'cancel_at_period_end' as const }), weight: 1 },
  { arbitrary: fc.constant({ k: 'undo_cancel' as const }), weight: 1 },
  { arbitrary: fc.constant({ k: 'cancel_now' as const }), weight: 1 },
  { arbitrary: fc.constant({ k: 'fix_card' as const }), weight: 1 },
  { arbitrary: createArb.map((c) => ({ k: 'create' as const, ...c })), weight: 1 },
);

// Mostly the US (untaxed: the billing that existed before tax keeps its coverage), else any taxed country.
const billingArb: fc.Arbitrary<BillingIntent> = fc.record({
  country: fc.oneof(
    { arbitrary: fc.constant<Country>('US'), weight: 8 },
    { arbitrary: fc.constantFrom<Country>('GB', 'DE', 'FR', 'NL', 'IE', 'ES', 'IT'), weight: 7 },
  ),
  vatId: fc.boolean(),
});

/** A well-formed VAT number of the country (Stripe checks the format; nothing checks the register here). */
const VAT_IDS: Record<Exclude<Country, 'US'>, TaxIdInput> = {
  GB: { type: 'gb_vat', value: 'GB123456789' },
  DE: { type: 'eu_vat', value: 'DE123456789' },
  FR: { type: 'eu_vat', value: 'FRAB123456789' },
  NL: { type: 'eu_vat', value: 'NL123456789B01' },
  IE: { type: 'eu_vat', value: 'IE1234567WA' },
  ES: { type: 'eu_vat', value: 'ESA1234567Z' },
  IT: { type: 'eu_vat', value: 'IT12345678901' },
};

/** The timeline tenant an intent makes: its currency, and its country and VAT number apart from it. */
export const timelineTenant = (id: string, currency: Currency, billing: BillingIntent | undefined): TimelineTenant => {
  const country = billing?.country ?? 'US';
  if (country === 'US' || !billing?.vatId) return { id, currency, country };
  return { id, currency, country, tax_ids: [VAT_IDS[country]] };
};

const advanceArb: fc.Arbitrary<StepIntent> = fc.record({
  k: fc.constant('advance' as const),
  seconds: fc.oneof(
    { arbitrary: fc.integer({ min: 3_600, max: 12 * 3_600 }), weight: 2 }, // hours
    { arbitrary: fc.integer({ min: 86_400, max: 10 * 86_400 }), weight: 3 }, // days
    { arbitrary: fc.integer({ min: 25 * 86_400, max: 40 * 86_400 }), weight: 3 }, // across a period end
  ),
});

export const timelineIntentArb = (options: { maxTenants?: number; maxSteps?: number } = {}): fc.Arbitrary<TimelineIntent> => {
  const maxTenants = options.maxTenants ?? 3;
  return fc.record({
    day: fc.oneof(fc.integer({ min: 1, max: 31 }), fc.constantFrom(28, 29, 30, 31)),
    secondOfDay: fc.integer({ min: 0, max: 86_399 }),
    tenants: fc.array(
      fc.record({
        currency: fc.constantFrom(...CURRENCIES),
        before: fc.oneof({ arbitrary: fc.constant([] as RecordIntent[]), weight: 3 }, { arbitrary: fc.array(recordArb, { minLength: 1, maxLength: 2 }), weight: 1 }),
        create: createArb,
      }),
      { minLength: 1, maxLength: maxTenants },
    ),
    steps: fc.array(
      fc.oneof(
        { arbitrary: advanceArb, weight: 1 },
        {
          arbitrary: fc.record({
            k: fc.constant('act' as const),
            tenant: fc.nat(maxTenants - 1),
            gap: fc.oneof(fc.integer({ min: 1, max: 600 }), fc.integer({ min: 600, max: 6 * 3_600 })),
            a: actArb,
          }),
          weight: 3,
        },
      ),
      { minLength: Math.min(6, options.maxSteps ?? 24), maxLength: options.maxSteps ?? 24, size: 'max' },
    ),
    billing: fc.array(billingArb, { minLength: maxTenants, maxLength: maxTenants }),
  });
};

/** The first instant at or after `from` that falls on the intent's day of month and second of day (whole seconds). */
export const alignStart = (from: Date, intent: Pick<TimelineIntent, 'day' | 'secondOfDay'>): Date => {
  const base = Math.ceil(from.getTime() / SECOND) * SECOND;
  const d = new Date(base);
  for (let m = 0; m < 3; m += 1) {
    const monthStart = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + m, 1);
    const lastDay = new Date(addMonths(monthStart, 1) - DAY).getUTCDate();
    const candidate = monthStart + (Math.min(intent.day, lastDay) - 1) * DAY + intent.secondOfDay * SECOND;
    if (candidate >= base) return new Date(candidate);
  }
  throw new Error('unreachable: a matching day exists within three months');
};

const rankedOptions = (currency: Currency) =>
  PLAN_IDS.flatMap((plan) => (['monthly', 'annual'] as const).map((cycle) => ({ plan, cycle, price: priceMinor(plan, currency, cycle) }))).sort((a, b) => a.price - b.price);

/**
 * Turns intents into a concrete timeline starting at `start`, with tenant ids `${prefix}-<n>`.
 * Intents that make no sense at their instant (upgrade with no subscription, undo with nothing
 * to undo...) are dropped.
 */
export const resolveTimeline = (intent: TimelineIntent, start: Date, prefix: string): Timeline => {
  const tenants = intent.tenants.map((t, i) => timelineTenant(`${prefix}-${i + 1}`, t.currency, intent.billing[i]));
  const model = new BillingModel(start.getTime(), tenants);
  const steps: Step[] = [];
  const gaugeStamps = new Map<string, Set<number>>();
  let now = start.getTime();
  const end = start.getTime() + MAX_SPAN_MS;

  const push = (step: Step) => {
    model.apply(step);
    steps.push(step);
  };

  const records = (tenantId: string, at: number, intents: readonly RecordIntent[]): UsageRecordInput[] => {
    const view = model.view(tenantId);
    const plan = PLANS[view.sub?.plan ?? 'starter'];
    const usedNow = new Set<Resource>();
    return intents.map((r) => {
      const included = plan.limits[r.resource];
      const base = Math.floor((included * r.permille) / 1000);
      const amount = r.resource === 'storage_gb' ? (base * 100 + r.extra) / 100 : r.resource === 'api_calls' || r.resource === 'alerts' ? base + r.extra : base + (r.extra % 3);
      let when = r.when;
      const gauge = GAUGES.includes(r.resource);
      // A gauge is read at one level per instant: a second reading at the receipt time is stamped a second earlier.
      if (gauge && when !== 'back' && usedNow.has(r.resource)) when = 'back';
      if (gauge && when !== 'back') usedNow.add(r.resource);
      if (when === 'now') return { resource_type: r.resource, usage_amount: amount };
      if (when === 'future') return { resource_type: r.resource, usage_amount: amount, timestamp: iso(at + Math.min(r.seconds, 290) * SECOND) };
      let ts = at - r.seconds * SECOND - r.ms;
      if (gauge) {
        const key = `${tenantId}:${r.resource}`;
        const seen = gaugeStamps.get(key) ?? new Set<number>();
        while (seen.has(ts) || ts % SECOND === 0) ts -= 1;
        seen.add(ts);
        gaugeStamps.set(key, seen);
      }
      return { resource_type: r.resource, usage_amount: amount, timestamp: iso(ts) };
    });
  };

  const createStep = (tenantId: string, at: number, c: CreateIntent): Step | null => {
    const view = model.view(tenantId);
    if (view.sub) return null;
    const trial = view.trialUsed ? 0 : c.trialDays;
    return {
      at: iso(at),
      tenant: tenantId,
      do: 'create',
      plan_id: PLAN_IDS[c.plan % PLAN_IDS.length] as PlanId,
      billing_cycle: c.annual ? 'annual' : 'monthly',
      trial_days: trial,
      // A declining card only with a trial (without one, Stripe leaves the subscription `incomplete`).
      payment_method: c.declining && trial > 0 ? 'pm_card_chargeCustomerFail' : 'pm_card_visa',
    };
  };

  const changeStep = (tenantId: string, at: number, a: ActIntent): Step | null => {
    const view = model.view(tenantId);
    const sub = view.sub;
    if (!sub || sub.cancelAtPeriodEnd) return null;
    const options = rankedOptions(view.currency);
    const current = priceMinor(sub.plan, view.currency, sub.cycle);
    let target: { plan: PlanId; cycle: Cycle } | undefined;
    if (a.k === 'upgrade') {
      const higher = options.filter((o) => o.price > current);
      target = higher[a.pick % Math.max(1, higher.length)];
    } else if (a.k === 'downgrade') {
      const lower = options.filter((o) => o.price < current);
      target = lower[a.pick % Math.max(1, lower.length)];
    } else if (a.k === 'cycle') {
      target = { plan: sub.plan, cycle: sub.cycle === 'monthly' ? 'annual' : 'monthly' };
    } else if (a.k === 'same') {
      target = { plan: sub.plan, cycle: sub.cycle };
    }
    if (!target) return null;
    const upgrade = priceMinor(target.plan, view.currency, target.cycle) > current;
    // A past-due subscription settles its open invoice before it can upgrade.
    if (upgrade && sub.status === 'past_due') return null;
    return { at: iso(at), tenant: tenantId, do: 'change', plan_id: target.plan, billing_cycle: target.cycle };
  };

  // Each tenant: maybe some usage before it subscribes, then its first subscription.
  intent.tenants.forEach((t, i) => {
    const id = tenants[i]?.id as string;
    if (t.before.length > 0) {
      now += MINUTE;
      push({ at: iso(now), tenant: id, do: 'usage', records: records(id, now, t.before) });
    }
    now += MINUTE;
    const create = createStep(id, now, t.create);
    if (create) push(create);
  });

  for (const s of intent.steps) {
    if (s.k === 'advance') {
      const at = Math.min(now + s.seconds * SECOND, end);
      if (at <= now) continue;
      now = at;
      push({ at: iso(now), do: 'advance' });
      continue;
    }
    const id = tenants[s.tenant % tenants.length]?.id as string;
    const at = now + s.gap * SECOND;
    if (at > end) continue;
    model.advance(at);
    const view = model.view(id);
    let step: Step | null = null;
    switch (s.a.k) {
      case 'create':
        step = createStep(id, at, s.a);
        break;
      case 'usage':
        step = { at: iso(at), tenant: id, do: 'usage', records: records(id, at, s.a.records) };
        break;
      case 'upgrade':
      case 'downgrade':
      case 'cycle':
      case 'same':
        step = changeStep(id, at, s.a);
        break;
      case 'cancel_at_period_end':
        // Not while a downgrade is pending: SPEC does not say whether a cancel (and its undo) keeps it.
        step = view.sub && !view.sub.cancelAtPeriodEnd && !view.sub.pending ? { at: iso(at), tenant: id, do: 'cancel_at_period_end' } : null;
        break;
      case 'undo_cancel':
        step = view.sub?.cancelAtPeriodEnd ? { at: iso(at), tenant: id, do: 'undo_cancel' } : null;
        break;
      case 'cancel_now':
        step = view.sub ? { at: iso(at), tenant: id, do: 'cancel_now' } : null;
        break;
      case 'fix_card':
        step = view.cardGood ? null : { at: iso(at), tenant: id, do: 'fix_card' };
        break;
    }
    // The model has moved to `at` either way; a dropped intent only lets the time pass.
    now = at;
    if (step) push(step);
  }
  // End a little after the last step, past the next full hour, so an immediate bill has its webhooks.
  const last = Math.min(now + 2 * HOUR, end + 2 * HOUR);
  steps.push({ at: iso(last), do: 'advance' });
  return { start: start.toISOString(), tenants, steps };
};
