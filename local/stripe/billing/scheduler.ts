import type Stripe from 'stripe';
import type { TimeDriven } from '../../clock';
import { DRAFT_FINALIZE_DELAY, INCOMPLETE_EXPIRY, TRIAL_WILL_END_NOTICE } from '../config';
import type { WebhookDeliverer } from '../events/webhooks';
import { itemOf, LIVE_STATUSES } from '../objects/subscription';
import { attemptPayment } from './collection';
import { type BillingContext, testClockOf, type TimeScope } from './context';
import { advanceSchedule, expiringDueAt, notifyExpiring, scheduleDueAt } from './schedules';
import { advanceFinalized, finalizeForCollection, markOverdue, overdueAt } from './send-invoice';
import { expireIncomplete, notifyTrialWillEnd, renew } from './subscriptions';
import { finalizationBlocked } from './tax';

interface DueWork {
  readonly at: number;
  /** Order among things due at the same instant: a schedule's phase change before the renewal it shapes, etc. */
  readonly rank: number;
  readonly run: () => void;
}

/**
 * Everything a clock will make happen, derived from the state (so it survives restarts): the
 * objects on test clock `clockId`, or with null the objects on no test clock (the shared clock's).
 */
const dueWork = (ctx: BillingContext, clockId: string | null): DueWork[] => {
  const work: DueWork[] = [];
  const mine = (o: { test_clock: string | { id: string } | null }): boolean => testClockOf(o) === clockId;
  for (const schedule of ctx.state.schedules.values()) {
    if (!mine(schedule)) continue;
    const at = scheduleDueAt(schedule);
    if (at !== null) work.push({ at, rank: 0, run: () => advanceSchedule(ctx, schedule) });
    const expiring = expiringDueAt(ctx, schedule);
    if (expiring !== null) work.push({ at: expiring, rank: 0, run: () => notifyExpiring(ctx, schedule) });
  }
  for (const sub of ctx.state.subscriptions.values()) {
    if (!mine(sub)) continue;
    if (sub.status === 'trialing' && sub.trial_end !== null) {
      const sentFor = ctx.state.subscriptionMeta.get(sub.id)?.trialWillEndSentFor ?? null;
      if (sentFor !== sub.trial_end)
        work.push({ at: Math.max(sub.created, sub.trial_end - TRIAL_WILL_END_NOTICE), rank: 1, run: () => notifyTrialWillEnd(ctx, sub) });
    }
    if (LIVE_STATUSES.includes(sub.status)) work.push({ at: itemOf(sub).current_period_end, rank: 2, run: () => renew(ctx, sub) });
    if (sub.status === 'incomplete') work.push({ at: sub.created + INCOMPLETE_EXPIRY, rank: 3, run: () => expireIncomplete(ctx, sub) });
  }
  for (const invoice of ctx.state.invoices.values()) {
    if (!mine(invoice)) continue;
    const overdue = overdueAt(ctx, invoice);
    if (overdue !== null) work.push({ at: overdue, rank: 6, run: () => markOverdue(ctx, invoice) });
    if (!invoice.auto_advance) continue;
    // A draft whose finalization failed for want of a tax location waits until the customer has one.
    const waiting = invoice.last_finalization_error?.code === 'customer_tax_location_invalid' && finalizationBlocked(ctx, invoice);
    if (invoice.status === 'draft' && !waiting)
      work.push({
        at: invoice.automatically_finalizes_at ?? invoice.created + DRAFT_FINALIZE_DELAY,
        rank: 4,
        run: () => {
          finalizeForCollection(ctx, invoice);
          advanceFinalized(ctx, invoice);
        },
      });
    else if (invoice.status === 'open' && invoice.next_payment_attempt !== null)
      work.push({ at: invoice.next_payment_attempt, rank: 5, run: () => attemptPayment(ctx, invoice, { automatic: true }) });
  }
  return work;
};

const earliest = (work: readonly DueWork[], until: number): DueWork | undefined =>
  work
    .filter((w) => w.at <= until)
    .reduce<DueWork | undefined>((best, w) => (!best || w.at < best.at || (w.at === best.at && w.rank < best.rank) ? w : best), undefined);

/**
 * Advances a test clock to `target`: `advancing`, then the work due for the clock's objects up
 * to the target in time order, each run with the clock reading its due time (so objects and
 * events carry it), then `ready` at the target. Runs to the end synchronously; the shared clock
 * does not move.
 */
export const advanceTestClock = (ctx: BillingContext, scope: TimeScope, clock: Stripe.TestHelpers.TestClock, target: number): void =>
  scope.within(clock.id, () => {
    clock.status = 'advancing';
    clock.status_details = { advancing: { target_frozen_time: target } };
    ctx.events.emit('test_helpers.test_clock.advancing', clock);
    for (let guard = 0; ; guard += 1) {
      if (guard > 10_000) throw new Error('local Stripe: test clock due work does not settle');
      const next = earliest(dueWork(ctx, clock.id), target);
      if (!next) break;
      clock.frozen_time = Math.max(clock.frozen_time, next.at);
      next.run();
    }
    clock.frozen_time = target;
    clock.status = 'ready';
    clock.status_details = {};
    ctx.events.emit('test_helpers.test_clock.ready', clock);
  });

/**
 * The local Stripe endpoint as a participant of the shared simulated clock (for objects on no
 * test clock): trial notices and ends, renewals, draft finalization, payment retries, schedule phases, cancel at period end,
 * unpaid `send_invoice` due dates, incomplete expiry and webhook retries happen when the clock passes their time, in time order.
 */
export class BillingParticipant implements TimeDriven {
  readonly name = 'local-stripe';

  constructor(
    private readonly ctx: BillingContext,
    private readonly scope: TimeScope,
    private readonly deliverer: WebhookDeliverer,
    private readonly changed: () => void,
    /** Resolves once the state is on disk: a step's work is durable before the clock moves on. */
    private readonly durable: () => Promise<void> = () => Promise.resolve(),
  ) {}

  nextDueAt(): Date | null {
    const next = earliest(dueWork(this.ctx, null), Number.POSITIVE_INFINITY)?.at ?? null;
    const webhook = this.deliverer.nextDueAt();
    const at = next === null ? webhook : webhook === null ? next : Math.min(next, webhook);
    return at === null ? null : new Date(at * 1000);
  }

  async runDue(): Promise<void> {
    // Each piece of work moves its own due time forward, so this ends; the guard catches a bug.
    for (let guard = 0; ; guard += 1) {
      if (guard > 10_000) throw new Error('local Stripe: due work does not settle');
      const next = this.scope.within(null, () => earliest(dueWork(this.ctx, null), this.ctx.now()));
      if (!next) break;
      this.scope.within(null, next.run);
    }
    this.changed();
    await this.durable();
    await this.deliverer.drain();
  }
}
