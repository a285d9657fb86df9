import type { TimeDriven } from '../../clock';
import { DRAFT_FINALIZE_DELAY, INCOMPLETE_EXPIRY, TRIAL_WILL_END_NOTICE } from '../config';
import type { WebhookDeliverer } from '../events/webhooks';
import { itemOf, LIVE_STATUSES } from '../objects/subscription';
import { attemptPayment, collect, finalizeInvoice } from './collection';
import type { BillingContext } from './context';
import { advanceSchedule, scheduleDueAt } from './schedules';
import { expireIncomplete, notifyTrialWillEnd, renew } from './subscriptions';

interface DueWork {
  readonly at: number;
  /** Order among things due at the same instant: a schedule's phase change before the renewal it shapes, etc. */
  readonly rank: number;
  readonly run: () => void;
}

/** Everything the clock will make happen, derived from the state (so it survives restarts). */
const dueWork = (ctx: BillingContext): DueWork[] => {
  const work: DueWork[] = [];
  for (const schedule of ctx.state.schedules.values()) {
    const at = scheduleDueAt(schedule);
    if (at !== null) work.push({ at, rank: 0, run: () => advanceSchedule(ctx, schedule) });
  }
  for (const sub of ctx.state.subscriptions.values()) {
    if (sub.status === 'trialing' && sub.trial_end !== null) {
      const sentFor = ctx.state.subscriptionMeta.get(sub.id)?.trialWillEndSentFor ?? null;
      if (sentFor !== sub.trial_end)
        work.push({ at: Math.max(sub.created, sub.trial_end - TRIAL_WILL_END_NOTICE), rank: 1, run: () => notifyTrialWillEnd(ctx, sub) });
    }
    if (LIVE_STATUSES.includes(sub.status)) work.push({ at: itemOf(sub).current_period_end, rank: 2, run: () => renew(ctx, sub) });
    if (sub.status === 'incomplete') work.push({ at: sub.created + INCOMPLETE_EXPIRY, rank: 3, run: () => expireIncomplete(ctx, sub) });
  }
  for (const invoice of ctx.state.invoices.values()) {
    if (!invoice.auto_advance) continue;
    if (invoice.status === 'draft')
      work.push({
        at: invoice.automatically_finalizes_at ?? invoice.created + DRAFT_FINALIZE_DELAY,
        rank: 4,
        run: () => {
          finalizeInvoice(ctx, invoice);
          collect(ctx, invoice);
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
 * The local Stripe endpoint as a participant of the shared simulated clock: trial notices and
 * ends, renewals, draft finalization, payment retries, schedule phases, cancel at period end,
 * incomplete expiry and webhook retries happen when the clock passes their time, in time order.
 */
export class BillingParticipant implements TimeDriven {
  readonly name = 'local-stripe';

  constructor(
    private readonly ctx: BillingContext,
    private readonly deliverer: WebhookDeliverer,
    private readonly changed: () => void,
    /** Resolves once the state is on disk: a step's work is durable before the clock moves on. */
    private readonly durable: () => Promise<void> = () => Promise.resolve(),
  ) {}

  nextDueAt(): Date | null {
    const next = earliest(dueWork(this.ctx), Number.POSITIVE_INFINITY)?.at ?? null;
    const webhook = this.deliverer.nextDueAt();
    const at = next === null ? webhook : webhook === null ? next : Math.min(next, webhook);
    return at === null ? null : new Date(at * 1000);
  }

  async runDue(): Promise<void> {
    // Each piece of work moves its own due time forward, so this ends; the guard catches a bug.
    for (let guard = 0; ; guard += 1) {
      if (guard > 10_000) throw new Error('local Stripe: due work does not settle');
      const next = earliest(dueWork(this.ctx), this.ctx.now());
      if (!next) break;
      next.run();
    }
    this.changed();
    await this.durable();
    await this.deliverer.drain();
  }
}
