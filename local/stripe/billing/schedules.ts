import type Stripe from 'stripe';
import { clone } from '../clone';
import { invalidRequest } from '../errors';
import { newId } from '../ids';
import { currentPhaseOf, newPhase, newSchedule, phaseAutomaticTaxOf, phasePriceOf, phaseQuantityOf } from '../objects/schedule';
import { customerIdOf, itemOf } from '../objects/subscription';
import { SECONDS } from '../config';
import { type BillingContext, testClockOfCustomer, updateSubscription } from './context';
import { endSubscription } from './ending';
import { boundary, type Recurrence, recurrenceOf } from './periods';
import { changePrice, createSubscription, switchPriceAtBoundary, type ProrationBehavior } from './subscriptions';
import { enterPhaseDiscounts, type Redemption, redemptionOfPhaseEntry } from './subscription-discounts';
import { subscriptionAutomaticTax } from './tax';

const idOf = (ref: string | { id: string } | null): string | null => (ref === null ? null : typeof ref === 'string' ? ref : ref.id);

export const subscriptionOfSchedule = (ctx: BillingContext, schedule: Stripe.SubscriptionSchedule): Stripe.Subscription | undefined => {
  const id = idOf(schedule.subscription);
  return id ? ctx.state.subscriptions.get(id) : undefined;
};

/** `from_subscription`: one phase, the current period at the current price, released at its end. */
export const createScheduleFromSubscription = (
  ctx: BillingContext,
  sub: Stripe.Subscription,
  metadata: Record<string, string>,
): Stripe.SubscriptionSchedule => {
  if (sub.status === 'canceled' || sub.status === 'incomplete_expired')
    throw invalidRequest(`You cannot create a subscription schedule from a ${sub.status} subscription.`, { param: 'from_subscription' });
  if (sub.schedule)
    throw invalidRequest(
      `You cannot migrate a subscription that is already attached to a schedule: \`${idOf(sub.schedule) ?? ''}\`.`,
      { param: 'from_subscription' },
    );
  const item = itemOf(sub);
  const schedule = newSchedule({
    id: newId('sub_sched'),
    customer: customerIdOf(sub.customer),
    subscription: sub.id,
    testClock: idOf(sub.test_clock),
    phases: [
      newPhase({
        price: item.price,
        startDate: item.current_period_start,
        endDate: item.current_period_end,
        prorationBehavior: 'create_prorations',
        metadata: {},
        automaticTax: sub.automatic_tax.enabled,
        // The phase carries the subscription's discounts on, as Stripe's from_subscription does.
        discounts: sub.discounts.map((d) => ({ coupon: null, discount: typeof d === 'string' ? d : d.id, promotion_code: null })),
      }),
    ],
    defaultPaymentMethod: null,
    metadata,
    now: ctx.now(),
    automaticTax: sub.automatic_tax.enabled,
  });
  ctx.state.schedules.set(schedule.id, schedule);
  ctx.events.emit('subscription_schedule.created', schedule);
  updateSubscription(ctx, sub, (s) => {
    s.schedule = schedule.id;
  });
  return schedule;
};

export interface PhaseSpec {
  readonly price: Stripe.Price;
  readonly startDate: number | 'now' | undefined;
  readonly endDate: number | 'now' | undefined;
  /** How long the phase lasts when it has no end date (default: one interval of its price). */
  readonly duration: Recurrence | undefined;
  readonly prorationBehavior: ProrationBehavior | undefined;
  readonly metadata: Record<string, string>;
  /** Billing periods the phase lasts when it has no end date (default 1). */
  readonly iterations?: number | undefined;
  readonly quantity?: number | undefined;
  readonly trialEnd?: number | 'now' | undefined;
  /** `phases[i][automatic_tax][enabled]`; without it, the schedule's default settings decide. */
  readonly automaticTax?: boolean | undefined;
  /**
   * `phases[i][discounts]`, checked: what the subscription's discounts become in the phase;
   * `'none'` for `''` (not even the customer's); undefined when not given (the customer's).
   */
  readonly discounts?: readonly Stripe.SubscriptionSchedule.Phase.Discount[] | 'none' | undefined;
}

const resolveTime = (v: number | 'now' | undefined, now: number): number | undefined => (v === 'now' ? now : v);

/** The end of a phase starting at `start`: its end date, else `iterations` periods of its price (or `duration`). */
const phaseEnd = (spec: PhaseSpec, start: number, now: number): number =>
  resolveTime(spec.endDate, now) ?? boundary(start, spec.duration ?? recurrenceOf(spec.price), spec.duration ? 1 : (spec.iterations ?? 1));

const phaseOf = (
  spec: PhaseSpec,
  start: number,
  end: number,
  now: number,
  fallback: ProrationBehavior | undefined,
  defaultAutomaticTax: boolean,
): Stripe.SubscriptionSchedule.Phase =>
  newPhase({
    price: spec.price,
    startDate: start,
    endDate: end,
    prorationBehavior: spec.prorationBehavior ?? fallback ?? 'create_prorations',
    metadata: spec.metadata,
    quantity: spec.quantity ?? 1,
    trialEnd: resolveTime(spec.trialEnd, now) ?? null,
    automaticTax: spec.automaticTax ?? defaultAutomaticTax,
    discounts: spec.discounts === 'none' ? [] : (spec.discounts ?? []),
  });

/** Keeps which phases were given `discounts=''`: their object does not show it. */
const recordPhasesWithoutDiscounts = (
  ctx: BillingContext,
  scheduleId: string,
  specs: readonly PhaseSpec[],
  phases: readonly Stripe.SubscriptionSchedule.Phase[],
): void => {
  const starts = phases.filter((_, i) => specs[i]?.discounts === 'none').map((p) => p.start_date);
  if (starts.length > 0) ctx.state.phasesWithoutDiscounts.set(scheduleId, starts);
  else ctx.state.phasesWithoutDiscounts.delete(scheduleId);
};

const withoutDiscounts = (ctx: BillingContext, schedule: Stripe.SubscriptionSchedule, phase: Stripe.SubscriptionSchedule.Phase): boolean =>
  ctx.state.phasesWithoutDiscounts.get(schedule.id)?.includes(phase.start_date) ?? false;

/** A phase's coupons and promotion codes as redemptions (a new subscription has no discount to reuse). */
const redemptionsOf = (ctx: BillingContext, phase: Stripe.SubscriptionSchedule.Phase): Redemption[] =>
  phase.discounts.flatMap((entry) => {
    const r = redemptionOfPhaseEntry(ctx, entry);
    return r ? [r] : [];
  });

export interface NewSchedule {
  readonly customer: Stripe.Customer;
  readonly startDate: number | 'now' | undefined;
  readonly endBehavior: Stripe.SubscriptionSchedule.EndBehavior | undefined;
  readonly phases: readonly PhaseSpec[];
  readonly defaultPaymentMethod: string | null;
  readonly metadata: Record<string, string>;
  /** `default_settings[automatic_tax][enabled]`: for phases that do not set it (default off, as in Stripe). */
  readonly automaticTax?: boolean;
}

/**
 * A schedule from phases. Phases follow each other from `start_date` (`now` by default); a phase
 * lasts until its `end_date`, else `iterations` billing periods of its price. Starting now, the
 * subscription is created at once with the first phase; a start ahead leaves the schedule
 * `not_started` until the clock reaches it (`startSchedule`).
 */
export const createScheduleFromPhases = (ctx: BillingContext, input: NewSchedule): Stripe.SubscriptionSchedule => {
  const now = ctx.now();
  const start = resolveTime(input.startDate, now) ?? now;
  if (start < now)
    throw invalidRequest('The local Stripe endpoint does not backdate schedules: start_date must be now or in the future.', { param: 'start_date' });
  if (input.phases.length === 0) throw invalidRequest('You must pass at least one phase.', { param: 'phases' });
  const currency = input.phases[0]?.price.currency;
  const phases: Stripe.SubscriptionSchedule.Phase[] = [];
  let at = start;
  input.phases.forEach((spec, i) => {
    if (spec.price.currency !== currency)
      throw invalidRequest('All prices on a subscription schedule must have the same currency.', { param: `phases[${i}][items][0][price]` });
    if (spec.startDate !== undefined && i > 0 && resolveTime(spec.startDate, now) !== at)
      throw invalidRequest(`The start_date of phase ${i} must equal the end_date of the phase before it.`, { param: `phases[${i}][start_date]` });
    if (spec.trialEnd !== undefined && i > 0)
      throw invalidRequest('The local Stripe endpoint models a trial on the first phase only.', { param: `phases[${i}][trial_end]` });
    const end = phaseEnd(spec, at, now);
    if (end <= at) throw invalidRequest(`The end_date of phase ${i} must be after its start_date.`, { param: `phases[${i}][end_date]` });
    phases.push(phaseOf(spec, at, end, now, undefined, input.automaticTax ?? false));
    at = end;
  });
  const schedule = newSchedule({
    id: newId('sub_sched'),
    customer: input.customer.id,
    subscription: null,
    testClock: testClockOfCustomer(ctx.state, input.customer.id),
    phases,
    defaultPaymentMethod: input.defaultPaymentMethod,
    metadata: input.metadata,
    now,
    status: 'not_started',
    ...(input.endBehavior ? { endBehavior: input.endBehavior } : {}),
    automaticTax: input.automaticTax ?? false,
  });
  ctx.state.schedules.set(schedule.id, schedule);
  recordPhasesWithoutDiscounts(ctx, schedule.id, input.phases, phases);
  ctx.events.emit('subscription_schedule.created', schedule);
  if (start <= now) startSchedule(ctx, schedule);
  return schedule;
};

/** A `not_started` schedule's start has come: its subscription is created with the first phase. */
export const startSchedule = (ctx: BillingContext, schedule: Stripe.SubscriptionSchedule): void => {
  if (schedule.status !== 'not_started') return;
  const first = schedule.phases[0];
  const priceId = first ? phasePriceOf(first) : null;
  const price = priceId ? ctx.state.prices.get(priceId) : undefined;
  const customer = ctx.state.customers.get(typeof schedule.customer === 'string' ? schedule.customer : schedule.customer.id);
  const before = clone(schedule);
  if (!first || !price || !customer) {
    schedule.status = 'canceled';
    schedule.canceled_at = ctx.now();
    ctx.events.emit('subscription_schedule.canceled', schedule);
    return;
  }
  const pm = schedule.default_settings.default_payment_method;
  const sub = createSubscription(ctx, {
    customer,
    price,
    quantity: phaseQuantityOf(first),
    trialEnd: first.trial_end,
    defaultPaymentMethod: pm === null ? null : typeof pm === 'string' ? pm : pm.id,
    metadata: {},
    description: null,
    paymentBehavior: 'allow_incomplete',
    cancelAtPeriodEnd: false,
    schedule: schedule.id,
    automaticTax: phaseAutomaticTaxOf(first),
    discounts: redemptionsOf(ctx, first),
    customerDiscountWithheld: withoutDiscounts(ctx, schedule, first),
  });
  schedule.status = 'active';
  schedule.subscription = sub.id;
  schedule.current_phase = currentPhaseOf(schedule.phases, ctx.now());
  ctx.events.emit('subscription_schedule.updated', schedule, before);
};

/** Stripe announces a schedule's end 7 days ahead (`subscription_schedule.expiring`). */
export const EXPIRING_NOTICE = 7 * SECONDS.day;

/** When `subscription_schedule.expiring` is due for an active schedule, or null once sent. */
export const expiringDueAt = (ctx: BillingContext, schedule: Stripe.SubscriptionSchedule): number | null => {
  const last = schedule.phases[schedule.phases.length - 1];
  if (schedule.status !== 'active' || !last) return null;
  for (const event of ctx.state.events.values())
    if (event.type === 'subscription_schedule.expiring' && event.data.object.id === schedule.id) return null;
  return Math.max(schedule.created, last.end_date - EXPIRING_NOTICE);
};

export const notifyExpiring = (ctx: BillingContext, schedule: Stripe.SubscriptionSchedule): void => {
  ctx.events.emit('subscription_schedule.expiring', schedule);
};

/**
 * Replaces the phases. Phases are contiguous; the current phase keeps its start; a phase without
 * an end lasts one interval of its price; `now` is the current time. If the phase running now
 * has another price, the subscription moves to it at once (with that phase's proration).
 */
export const setPhases = (
  ctx: BillingContext,
  schedule: Stripe.SubscriptionSchedule,
  specs: readonly PhaseSpec[],
  options: { endBehavior?: Stripe.SubscriptionSchedule.EndBehavior; prorationBehavior?: ProrationBehavior; automaticTax?: boolean },
): void => {
  if (schedule.status !== 'active' && schedule.status !== 'not_started')
    throw invalidRequest(`You cannot update a subscription schedule that is ${schedule.status}.`);
  const sub = subscriptionOfSchedule(ctx, schedule);
  if (!sub) throw invalidRequest('This subscription schedule has no subscription.');
  if (specs.length === 0) throw invalidRequest('You must pass at least one phase.', { param: 'phases' });
  const now = ctx.now();
  const current = schedule.current_phase;
  const phases: Stripe.SubscriptionSchedule.Phase[] = [];
  let previousEnd: number | null = null;
  specs.forEach((spec, i) => {
    const resolve = (v: number | 'now' | undefined): number | undefined => (v === 'now' ? now : v);
    let start = resolve(spec.startDate);
    if (i === 0) {
      if (start !== undefined && current && start !== current.start_date && spec.startDate !== 'now')
        throw invalidRequest('You can not modify the start date of the current phase.', { param: 'phases[0][start_date]' });
      start = start ?? current?.start_date ?? now;
    } else {
      if (start !== undefined && start !== previousEnd)
        throw invalidRequest(`The start_date of phase ${i} must equal the end_date of the phase before it.`, { param: `phases[${i}][start_date]` });
      start = previousEnd ?? now;
    }
    const end = phaseEnd(spec, start, now);
    if (end <= start && !(i === 0 && spec.endDate === 'now'))
      throw invalidRequest(`The end_date of phase ${i} must be after its start_date.`, { param: `phases[${i}][end_date]` });
    if (spec.price.currency !== sub.currency)
      throw invalidRequest(`The price ${spec.price.id} does not match the subscription's currency ${sub.currency}.`, {
        param: `phases[${i}][items][0][price]`,
      });
    phases.push(phaseOf(spec, start, end, now, options.prorationBehavior, options.automaticTax ?? schedule.default_settings.automatic_tax?.enabled ?? false));
    previousEnd = end;
  });
  const before = clone(schedule);
  schedule.phases = phases;
  recordPhasesWithoutDiscounts(ctx, schedule.id, specs, phases);
  schedule.current_phase = currentPhaseOf(phases, now);
  if (options.endBehavior) schedule.end_behavior = options.endBehavior;
  if (options.automaticTax !== undefined)
    schedule.default_settings.automatic_tax = { disabled_reason: null, enabled: options.automaticTax, liability: options.automaticTax ? { type: 'self' } : null };
  ctx.events.emit('subscription_schedule.updated', schedule, before);
  const running = phases.find((p) => p.start_date <= now && now < p.end_date);
  if (running) {
    applyPhaseTax(ctx, sub, running);
    enterPhaseDiscounts(ctx, sub, running, withoutDiscounts(ctx, schedule, running));
  }
  const runningPrice = running ? phasePriceOf(running) : null;
  if (running && runningPrice && runningPrice !== itemOf(sub).price.id) {
    const price = ctx.state.prices.get(runningPrice);
    if (price) changePrice(ctx, sub, price, { prorationBehavior: prorationOf(running), paymentBehavior: 'allow_incomplete' });
  }
  advanceSchedule(ctx, schedule);
};

/** Entering a phase sets the subscription's automatic tax to the phase's (before its invoices). */
const applyPhaseTax = (ctx: BillingContext, sub: Stripe.Subscription, phase: Stripe.SubscriptionSchedule.Phase): void => {
  const enabled = phaseAutomaticTaxOf(phase);
  if (sub.automatic_tax.enabled === enabled) return;
  updateSubscription(ctx, sub, (s) => {
    s.automatic_tax = subscriptionAutomaticTax(enabled);
  });
};

const PRORATION_BEHAVIORS: readonly ProrationBehavior[] = ['always_invoice', 'create_prorations', 'none'];
const prorationOf = (phase: Stripe.SubscriptionSchedule.Phase): ProrationBehavior =>
  PRORATION_BEHAVIORS.find((b) => b === phase.proration_behavior) ?? 'create_prorations';

/** When the schedule's phases say something is due now. */
export const scheduleDueAt = (schedule: Stripe.SubscriptionSchedule): number | null =>
  schedule.status === 'active'
    ? (schedule.current_phase?.end_date ?? null)
    : schedule.status === 'not_started'
      ? (schedule.phases[0]?.start_date ?? null)
      : null;

/**
 * Moves a schedule on when its current phase has ended: into the next phase (a boundary at the
 * period end switches the price with no proration, so the renewal bills the new price), or, after
 * the last phase, `release` (the subscription carries on) or `cancel`.
 */
export const advanceSchedule = (ctx: BillingContext, schedule: Stripe.SubscriptionSchedule): void => {
  if (schedule.status === 'not_started') {
    if ((schedule.phases[0]?.start_date ?? Number.POSITIVE_INFINITY) <= ctx.now()) startSchedule(ctx, schedule);
    return;
  }
  if (schedule.status !== 'active') return;
  const sub = subscriptionOfSchedule(ctx, schedule);
  if (!sub) return;
  const now = ctx.now();
  const running = schedule.phases.find((p) => p.start_date <= now && now < p.end_date);
  if (running) {
    if (schedule.current_phase?.start_date === running.start_date) return;
    applyPhaseTax(ctx, sub, running);
    enterPhaseDiscounts(ctx, sub, running, withoutDiscounts(ctx, schedule, running));
    const priceId = phasePriceOf(running);
    const price = priceId ? ctx.state.prices.get(priceId) : undefined;
    if (price) {
      const item = itemOf(sub);
      if (now >= item.current_period_end || running.start_date === item.current_period_end) switchPriceAtBoundary(ctx, sub, price, phaseQuantityOf(running));
      else {
        changePrice(ctx, sub, price, { prorationBehavior: prorationOf(running), paymentBehavior: 'allow_incomplete' });
        // A quantity change mid-period takes effect without proration (not modelled).
        switchPriceAtBoundary(ctx, sub, price, phaseQuantityOf(running));
      }
    }
    const before = clone(schedule);
    schedule.current_phase = { start_date: running.start_date, end_date: running.end_date };
    ctx.events.emit('subscription_schedule.updated', schedule, before);
    return;
  }
  const last = schedule.phases[schedule.phases.length - 1];
  if (!last || now < last.end_date) return;
  if (schedule.end_behavior === 'cancel') {
    schedule.status = 'completed';
    schedule.completed_at = now;
    schedule.current_phase = null;
    ctx.events.emit('subscription_schedule.completed', schedule);
    endSubscription(ctx, sub, 'cancellation_requested');
    return;
  }
  releaseSchedule(ctx, schedule);
};

/** The schedule lets go of the subscription, which carries on as it is. */
export const releaseSchedule = (ctx: BillingContext, schedule: Stripe.SubscriptionSchedule): void => {
  if (schedule.status !== 'active' && schedule.status !== 'not_started')
    throw invalidRequest(`You cannot release a subscription schedule that is currently in the \`${schedule.status}\` status.`);
  const sub = subscriptionOfSchedule(ctx, schedule);
  schedule.status = 'released';
  schedule.released_at = ctx.now();
  schedule.released_subscription = sub?.id ?? null;
  schedule.subscription = null;
  schedule.current_phase = null;
  ctx.events.emit('subscription_schedule.released', schedule);
  if (sub)
    updateSubscription(ctx, sub, (s) => {
      s.schedule = null;
    });
};

/** Canceling a schedule cancels its subscription now. */
export const cancelSchedule = (ctx: BillingContext, schedule: Stripe.SubscriptionSchedule): void => {
  if (schedule.status !== 'active' && schedule.status !== 'not_started')
    throw invalidRequest(`You cannot cancel a subscription schedule that is currently in the \`${schedule.status}\` status.`);
  const sub = subscriptionOfSchedule(ctx, schedule);
  if (sub && sub.status !== 'canceled') endSubscription(ctx, sub, 'cancellation_requested');
  if (schedule.status === 'active' || schedule.status === 'not_started') {
    schedule.status = 'canceled';
    schedule.canceled_at = ctx.now();
    schedule.current_phase = null;
    ctx.events.emit('subscription_schedule.canceled', schedule);
  }
};
