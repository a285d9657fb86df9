import { createHmac } from 'node:crypto';
import type Stripe from 'stripe';
import { DRAFT_FINALIZE_DELAY, DRAFT_FINALIZE_MAX_WAIT, WEBHOOK_TIMEOUT_MS } from '../config';
import type { StripeState, WebhookDelivery } from '../store';

export interface WebhookTarget {
  readonly url: string;
  readonly secret: string;
}

/**
 * The `Stripe-Signature` header Stripe sends: `t=<unix seconds>,v1=<hex HMAC-SHA256 of
 * "<t>.<body>" keyed with the endpoint secret>`.
 *
 * @example
 * signatureHeader('{"id":"evt_1"}', 'whsec_test', 1767225600) // 't=1767225600,v1=5f0c...'
 */
export const signatureHeader = (body: string, secret: string, timestamp: number): string =>
  `t=${timestamp},v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex')}`;

export interface DeliveryAttempt {
  readonly eventId: string;
  readonly type: string;
  readonly attempt: number;
  readonly at: number;
  readonly status: number | null;
  readonly error: string | null;
}

/**
 * Delivers events to the configured endpoint one at a time, oldest first, after the API
 * response that caused them, and only once the state holding them (events and the delivery
 * queue) is durable, so a delivery that was due before a crash is attempted after it. A non-2xx answer or a network error schedules a retry
 * `backoff[n]` seconds of simulated time later; retries are due work of the clock participant,
 * and other events keep flowing meanwhile (Stripe does not promise order).
 */
export class WebhookDeliverer {
  private pumping: Promise<void> | null = null;
  private closed = false;
  private readonly log: DeliveryAttempt[] = [];

  constructor(
    private readonly state: StripeState,
    private target: WebhookTarget | null,
    private readonly now: () => number,
    private readonly backoff: readonly number[],
    private readonly changed: () => void,
    /** Resolves once the state is on disk: an event is never announced before it would survive a crash. */
    private readonly durable: () => Promise<void> = () => Promise.resolve(),
  ) {}

  get enabled(): boolean {
    return this.target !== null;
  }

  retarget(target: WebhookTarget | null): void {
    this.target = target;
    if (!target) this.state.webhookQueue = [];
  }

  /** Every attempt so far (wall-clock process lifetime), for tests and debugging. */
  attempts(): readonly DeliveryAttempt[] {
    return this.log;
  }

  enqueue(event: Stripe.Event): void {
    if (!this.target) return;
    this.state.webhookQueue.push({ eventId: event.id, attempts: 0, dueAt: this.now() });
    // An endpoint listens: the draft waits for `invoice.created` to be answered (72 h at most).
    // The event shows the time Stripe sets at creation; the stored draft the time it now waits for.
    this.holdDraft(event, (draft) => draft.created + DRAFT_FINALIZE_MAX_WAIT);
  }

  /**
   * Moves the finalization time of the automatically advancing draft an `invoice.created` event
   * announces and returns it; null (nothing changed) for other events and other invoices.
   */
  private holdDraft(event: Stripe.Event, finalizeAt: (draft: Stripe.Invoice) => number): number | null {
    if (event.type !== 'invoice.created') return null;
    const draft = this.state.invoices.get(event.data.object.id ?? '');
    if (!draft || draft.status !== 'draft' || !draft.auto_advance || draft.automatically_finalizes_at === null) return null;
    // A test clock's advance runs before its webhooks go out: its drafts finalize on their own time.
    if (draft.test_clock !== null) return null;
    draft.automatically_finalizes_at = finalizeAt(draft);
    return draft.automatically_finalizes_at;
  }

  /** The earliest attempt waiting in the queue (unix seconds), or null. */
  nextDueAt(): number | null {
    let best: number | null = null;
    for (const d of this.state.webhookQueue) if (best === null || d.dueAt < best) best = d.dueAt;
    return best;
  }

  /** Starts delivering in the background if something is due. */
  kick(): void {
    if (this.pumping || this.closed || !this.due()) return;
    this.pumping = this.pump().finally(() => {
      this.pumping = null;
    });
  }

  /** Resolves once every delivery due now has been attempted (future retries may remain). */
  async drain(): Promise<void> {
    for (;;) {
      if (this.pumping) await this.pumping;
      if (this.closed || !this.due()) return;
      this.kick();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.pumping) await this.pumping;
  }

  private due(): WebhookDelivery | undefined {
    const now = this.now();
    return this.state.webhookQueue.find((d) => d.dueAt <= now);
  }

  private async pump(): Promise<void> {
    for (let next = this.due(); next && !this.closed; next = this.due()) {
      try {
        await this.durable();
      } catch {
        // The state cannot be saved (reported where it failed): announce nothing more.
        return;
      }
      await this.attempt(next);
    }
  }

  private async attempt(delivery: WebhookDelivery): Promise<void> {
    const target = this.target;
    const event = this.state.events.get(delivery.eventId);
    if (!target || !event) {
      this.remove(delivery);
      return;
    }
    const at = this.now();
    const body = JSON.stringify(event, null, 2);
    let status: number | null = null;
    let error: string | null = null;
    try {
      const res = await fetch(target.url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json; charset=utf-8',
          'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          'Stripe-Signature': signatureHeader(body, target.secret, at),
        },
        body,
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      });
      status = res.status;
      await res.arrayBuffer();
    } catch (cause) {
      error = cause instanceof Error ? cause.message : String(cause);
    }
    delivery.attempts += 1;
    this.log.push({ eventId: event.id, type: event.type, attempt: delivery.attempts, at, status, error });
    if (status !== null && status >= 200 && status < 300) {
      this.remove(delivery);
      event.pending_webhooks = 0;
      // Answered: the draft is finalized an hour from now (never later than the 72 h bound).
      this.holdDraft(event, (draft) => Math.min(draft.automatically_finalizes_at ?? Number.POSITIVE_INFINITY, at + DRAFT_FINALIZE_DELAY));
    } else {
      const wait = this.backoff[delivery.attempts - 1];
      if (wait === undefined) this.remove(delivery);
      else delivery.dueAt = this.now() + wait;
    }
    this.changed();
  }

  private remove(delivery: WebhookDelivery): void {
    this.state.webhookQueue = this.state.webhookQueue.filter((d) => d !== delivery);
  }
}
