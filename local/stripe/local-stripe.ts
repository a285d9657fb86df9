import type { Clock } from '../../src/platform/clock';
import type { TimeDriven } from '../clock';
import { type BillingContext, TimeScope } from './billing/context';
import { BillingParticipant } from './billing/scheduler';
import { DEFAULT_RETRY_DAYS, DEFAULT_WEBHOOK_BACKOFF, type EngineConfig, type FinalFailure, type FinalInvoiceStatus } from './config';
import { EventLog } from './events/event-log';
import { type DeliveryAttempt, WebhookDeliverer, type WebhookTarget } from './events/webhooks';
import { createStripeServer } from './http/server';
import { IdempotencyKeys } from './idempotency';
import type { ApiContext } from './resources/context';
import { ROUTES } from './resources';
import { StatePersistence, type StripeState } from './store';
import { listen } from '../ports';

export interface LocalStripeOptions {
  /** Port to listen on; 0 picks a free one. */
  readonly port: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** The shared simulated clock: every `created`, period and event time comes from it. */
  readonly clock: Clock;
  /** Where events are POSTed, signed with `secret` like Stripe signs (`Stripe-Signature`). */
  readonly webhook?: WebhookTarget;
  /**
   * A JSON file that keeps the state across restarts: saved (fsync, atomic rename) before any
   * response or webhook that reflects a change goes out, so a kill -9 loses nothing answered.
   */
  readonly stateFile?: string;
  /** After the last failed retry the subscription is `canceled` (default) or `unpaid`. */
  readonly finalFailure?: FinalFailure;
  /** ...and its invoice stays `open` (default, "leave past-due") or becomes `uncollectible`. */
  readonly finalInvoiceStatus?: FinalInvoiceStatus;
  /** Days between payment attempts after a failure, one entry per retry (default 3, 5, 7). */
  readonly retryDays?: readonly number[];
  /** Seconds before each webhook redelivery (default 1 min ... 24 h, about 3 days in all). */
  readonly webhookBackoffSeconds?: readonly number[];
  /**
   * Waits this many milliseconds of wall time before sending each API response (after its
   * changes are saved), like the network round trip to Stripe. Default 0. Crash tests use it to
   * kill the stack while Stripe has done something our side has not heard about yet.
   */
  readonly latencyMs?: number;
}

export interface LocalStripe {
  /** `http://127.0.0.1:<port>`; give host, port and protocol to `new Stripe(key, {...})`. */
  readonly url: string;
  readonly port: number;
  /** Register it with the simulated clock: renewals, retries, phases and webhook retries are its due work. */
  readonly participant: TimeDriven;
  /** Resolves when every webhook delivery due now has been attempted (future retries may remain). */
  idle(): Promise<void>;
  /** Points webhook deliveries elsewhere (or nowhere). */
  setWebhook(target: WebhookTarget | null): void;
  /** Every webhook attempt of this process, oldest first. */
  webhookAttempts(): readonly DeliveryAttempt[];
  /** The next `n` API requests answer 429 `rate_limit`, as Stripe does when a client goes too fast. */
  rateLimitNext(n: number): void;
  /** Stops listening, waits for the delivery in flight and a save in progress, saves the state. */
  close(): Promise<void>;
}

/**
 * Starts a local Stripe endpoint that the unmodified `stripe` SDK can talk to.
 *
 * @example
 * const clock = new SimulatedClock({ frozen: true, start: new Date('2026-01-01T00:00:00Z') });
 * const local = await startLocalStripe({ port: 0, clock, webhook: { url, secret: 'whsec_test' } });
 * clock.register(local.participant);
 * const stripe = new Stripe('sk_test_local', { host: '127.0.0.1', port: local.port, protocol: 'http' });
 */
export const startLocalStripe = async (options: LocalStripeOptions): Promise<LocalStripe> => {
  const host = options.host ?? '127.0.0.1';
  const state: StripeState = StatePersistence.load(options.stateFile);
  // A test clock `advance` runs to the end before anything is saved, so `advancing` is only found
  // in files written when advancing moved the shared clock; the clock's work is derived again.
  for (const testClock of state.testClocks.values()) {
    if (testClock.status !== 'advancing') continue;
    testClock.status = 'ready';
    testClock.status_details = {};
  }
  const persistence = new StatePersistence(options.stateFile, () => state);
  const sharedNow = (): number => Math.floor(options.clock.now().getTime() / 1000);
  // `now` reads the test clock of the customer a request or a clock step concerns, else the shared clock.
  const scope = new TimeScope(state, sharedNow);
  const now = scope.now;
  const deliverer = new WebhookDeliverer(
    state,
    options.webhook ?? null,
    sharedNow,
    options.webhookBackoffSeconds ?? DEFAULT_WEBHOOK_BACKOFF,
    () => persistence.changed(),
    () => persistence.durable(),
  );
  const events = new EventLog(
    state,
    now,
    () => deliverer.enabled,
    (event) => deliverer.enqueue(event),
    sharedNow,
  );
  const config: { -readonly [K in keyof EngineConfig]: EngineConfig[K] } = {
    baseUrl: '',
    retryDays: options.retryDays ?? DEFAULT_RETRY_DAYS,
    finalFailure: options.finalFailure ?? 'canceled',
    finalInvoiceStatus: options.finalInvoiceStatus ?? 'open',
  };
  const billing: BillingContext = { state, events, config, now };
  const ctx: ApiContext = { ...billing, clock: options.clock, scope, deliverer };
  const idempotency = new IdempotencyKeys(state, sharedNow);

  const faults = { rateLimitNext: 0 };
  const latencyMs = options.latencyMs ?? 0;
  const server = createStripeServer({
    faults,
    routes: ROUTES,
    ctx,
    idempotency,
    beforeReply: async (mutating) => {
      if (mutating) persistence.changed();
      await persistence.durable();
      if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
    },
    afterRequest: () => deliverer.kick(),
  });
  const port = await listen(server, options.port, host);
  const url = `http://${host}:${port}`;
  config.baseUrl = url;
  const participant = new BillingParticipant(
    billing,
    scope,
    deliverer,
    () => persistence.changed(),
    () => persistence.durable(),
  );
  // Deliveries left from before a restart go out now.
  deliverer.kick();

  return {
    url,
    port,
    participant,
    idle: () => deliverer.drain(),
    setWebhook: (target) => deliverer.retarget(target),
    webhookAttempts: () => deliverer.attempts(),
    rateLimitNext: (n) => {
      faults.rateLimitNext = n;
    },
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await deliverer.close();
      await persistence.close();
    },
  };
};
