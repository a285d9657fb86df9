import type Stripe from 'stripe';
import { clone } from '../clone';
import { invalidRequest } from '../errors';
import { newId } from '../ids';
import { currentPhaseOf, newPhase, newSchedule, phasePriceOf } from '../objects/schedule';
import { customerIdOf, itemOf } from '../objects/subscription';
import { type BillingContext, updateSubscription } from './context';
import { endSubscription } from './ending';
import { boundary, type Recurrence, recurrenceOf } from './periods';
import { changePrice, switchPriceAtBoundary, type ProrationBehavior } from './subscriptions';

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
      }),
    ],
    defaultPaymentMethod: null,
    metadata,
    now: ctx.now(),
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
}

/**
 * Replaces the phases. Phases are contiguous; the current phase keeps its start; a phase without
 * an end lasts one interval of its price; `now` is the current time. If the phase running now
 * has another price, the subscription moves to it at once (with that phase's proration).
 */
export const setPhases = (
  ctx: BillingContext,
  schedule: Stripe.SubscriptionSchedule,
  specs: readonly PhaseSpec[],
  options: { endBehavior?: Stripe.SubscriptionSchedule.EndBehavior; prorationBehavior?: ProrationBehavior },
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
    const end = resolve(spec.endDate) ?? boundary(start, spec.duration ?? recurrenceOf(spec.price), 1);
    if (end <= start && !(i === 0 && spec.endDate === 'now'))
      throw invalidRequest(`The end_date of phase ${i} must be after its start_date.`, { param: `phases[${i}][end_date]` });
    if (spec.price.currency !== sub.currency)
      throw invalidRequest(`The price ${spec.price.id} does not match the subscription's currency ${sub.currency}.`, {
        param: `phases[${i}][items][0][price]`,
      });
    phases.push(
      newPhase({
        price: spec.price,
        startDate: start,
        endDate: end,
        prorationBehavior: spec.prorationBehavior ?? options.prorationBehavior ?? 'create_prorations',
        metadata: spec.metadata,
      }),
    );
    previousEnd = end;
  });
  const before = clone(schedule);
  schedule.phases = phases;
  schedule.current_phase = currentPhaseOf(phases, now);
  if (options.endBehavior) schedule.end_behavior = options.endBehavior;
  ctx.events.emit('subscription_schedule.updated', schedule, before);
  const running = phases.find((p) => p.start_date <= now && now < p.end_date);
  const runningPrice = running ? phasePriceOf(running) : null;
  if (running && runningPrice && runningPrice !== itemOf(sub).price.id) {
    const price = ctx.state.prices.get(runningPrice);
    if (price) changePrice(ctx, sub, price, { prorationBehavior: prorationOf(running), paymentBehavior: 'allow_incomplete' });
  }
  advanceSchedule(ctx, schedule);
};

const PRORATION_BEHAVIORS: readonly ProrationBehavior[] = ['always_invoice', 'create_prorations', 'none'];
const prorationOf = (phase: Stripe.SubscriptionSchedule.Phase): ProrationBehavior =>
  PRORATION_BEHAVIORS.find((b) => b === phase.proration_behavior) ?? 'create_prorations';

/** When the schedule's phases say something is due now. */
export const scheduleDueAt = (schedule: Stripe.SubscriptionSchedule): number | null =>
  schedule.status === 'active' ? (schedule.current_phase?.end_date ?? null) : null;

/**
 * Moves a schedule on when its current phase has ended: into the next phase (a boundary at the
 * period end switches the price with no proration, so the renewal bills the new price), or, after
 * the last phase, `release` (the subscription carries on) or `cancel`.
 */
export const advanceSchedule = (ctx: BillingContext, schedule: Stripe.SubscriptionSchedule): void => {
  if (schedule.status !== 'active') return;
  const sub = subscriptionOfSchedule(ctx, schedule);
  if (!sub) return;
  const now = ctx.now();
  const running = schedule.phases.find((p) => p.start_date <= now && now < p.end_date);
  if (running) {
    if (schedule.current_phase?.start_date === running.start_date) return;
    const priceId = phasePriceOf(running);
    const price = priceId ? ctx.state.prices.get(priceId) : undefined;
    if (price) {
      const item = itemOf(sub);
      if (now >= item.current_period_end || running.start_date === item.current_period_end) switchPriceAtBoundary(ctx, sub, price);
      else changePrice(ctx, sub, price, { prorationBehavior: prorationOf(running), paymentBehavior: 'allow_incomplete' });
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
  if (schedule.status === 'active') {
    schedule.status = 'canceled';
    schedule.canceled_at = ctx.now();
    schedule.current_phase = null;
    ctx.events.emit('subscription_schedule.canceled', schedule);
  }
};
