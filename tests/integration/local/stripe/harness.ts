import { createServer, type Server } from 'node:http';
import Stripe from 'stripe';
import { SimulatedClock } from '../../../../local/clock';
import { freePort } from '../../../../local/ports';
import { type LocalStripe, type LocalStripeOptions, startLocalStripe } from '../../../../local/stripe';

export const START = new Date('2026-01-15T00:00:00Z');
export const DAY = 86_400_000;
export const HOUR = 3_600_000;
export const WEBHOOK_SECRET = 'whsec_local_test_secret';

export interface ReceivedEvent {
  readonly event: Stripe.Event;
  /** Simulated unix seconds when it arrived. */
  readonly at: number;
}

/**
 * Collects webhooks on 127.0.0.1 and verifies each with the SDK's `constructEvent`, using the
 * simulated clock as the receiving time. `failNext(n)` answers the next n deliveries with 500.
 */
export class Receiver {
  readonly events: ReceivedEvent[] = [];
  readonly rejected: string[] = [];
  private failures = 0;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(stripe: Stripe, clock: SimulatedClock): Promise<Receiver> {
    const port = await freePort();
    let receiver: Receiver | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const signature = req.headers['stripe-signature'];
        if (!receiver) return res.writeHead(503).end();
        try {
          const event = stripe.webhooks.constructEvent(body, typeof signature === 'string' ? signature : '', WEBHOOK_SECRET, 300, undefined, clock.now().getTime());
          if (receiver.failures > 0) {
            receiver.failures -= 1;
            res.writeHead(500).end('failing on purpose');
            return;
          }
          receiver.events.push({ event, at: Math.floor(clock.now().getTime() / 1000) });
          res.writeHead(200).end('{}');
        } catch (error) {
          receiver.rejected.push(error instanceof Error ? error.message : String(error));
          res.writeHead(400).end('bad signature');
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    receiver = new Receiver(server, `http://127.0.0.1:${port}/webhooks/stripe`);
    return receiver;
  }

  failNext(n: number): void {
    this.failures = n;
  }

  types(): string[] {
    return this.events.map((e) => e.event.type);
  }

  ofType<T extends Stripe.Event['type']>(type: T): Extract<Stripe.Event, { type: T }>[] {
    return this.events.map((e) => e.event).filter((e): e is Extract<Stripe.Event, { type: T }> => e.type === type);
  }

  clear(): void {
    this.events.length = 0;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

export interface Harness {
  readonly clock: SimulatedClock;
  readonly local: LocalStripe;
  readonly stripe: Stripe;
  readonly receiver: Receiver;
  /** Moves the clock and waits for the webhooks it caused. */
  advance(ms: number): Promise<void>;
  advanceTo(at: Date | number): Promise<void>;
  /** Simulated unix seconds. */
  now(): number;
  close(): Promise<void>;
}

export const startHarness = async (options: Partial<Omit<LocalStripeOptions, 'clock' | 'port'>> = {}): Promise<Harness> => {
  const clock = new SimulatedClock({ frozen: true, start: START });
  const sdkForWebhooks = new Stripe('sk_test_receiver');
  const receiver = await Receiver.start(sdkForWebhooks, clock);
  const local = await startLocalStripe({
    port: await freePort(),
    clock,
    webhook: { url: receiver.url, secret: WEBHOOK_SECRET },
    ...options,
  });
  clock.register(local.participant);
  const stripe = new Stripe('sk_test_local', { host: '127.0.0.1', port: local.port, protocol: 'http', maxNetworkRetries: 0 });
  const advanceTo = async (at: Date | number): Promise<void> => {
    await local.idle();
    await clock.advanceTo(typeof at === 'number' ? new Date(at * 1000) : at);
    await local.idle();
  };
  return {
    clock,
    local,
    stripe,
    receiver,
    advance: (ms) => advanceTo(new Date(clock.now().getTime() + ms)),
    advanceTo,
    now: () => Math.floor(clock.now().getTime() / 1000),
    close: async () => {
      await local.close();
      await receiver.close();
    },
  };
};

/** A product with a monthly and an annual price per plan, as our catalog sync creates them. */
export const catalog = async (stripe: Stripe) => {
  const product = async (id: string, name: string) => stripe.products.create({ id, name });
  const price = (product: string, amount: number, interval: 'month' | 'year', key: string) =>
    stripe.prices.create({ product, currency: 'usd', unit_amount: amount, recurring: { interval }, lookup_key: key });
  await product('starter', 'Starter');
  await product('pro', 'Pro');
  return {
    starterMonthly: await price('starter', 9_900, 'month', 'starter_monthly'),
    starterAnnual: await price('starter', 99_000, 'year', 'starter_annual'),
    proMonthly: await price('pro', 29_900, 'month', 'pro_monthly'),
    proAnnual: await price('pro', 299_000, 'year', 'pro_annual'),
  };
};

export const customerWith = async (stripe: Stripe, paymentMethod = 'pm_card_visa'): Promise<Stripe.Customer> =>
  stripe.customers.create({
    email: 'owner@example.com',
    name: 'Example Org',
    metadata: { tenant_id: 'org-1' },
    payment_method: paymentMethod,
    invoice_settings: { default_payment_method: paymentMethod },
  });

export const idOf = (ref: string | { id: string } | null | undefined): string => (ref == null ? '' : typeof ref === 'string' ? ref : ref.id);

/** A request without the SDK (for what the SDK's types would not let a test send). */
export const raw = async (
  h: Harness,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: string,
  headers: Record<string, string> = { Authorization: 'Bearer sk_test_local' },
): Promise<{ status: number; json: { error?: { type: string; code?: string; message: string; param?: string } } & Record<string, unknown>; headers: Headers }> => {
  const res = await fetch(`${h.local.url}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'Content-Type': 'application/x-www-form-urlencoded' }) },
    ...(body === undefined ? {} : { body }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as { error?: { type: string; code?: string; message: string } }) : {}, headers: res.headers };
};
