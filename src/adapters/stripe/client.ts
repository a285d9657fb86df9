import Stripe from 'stripe';
import { Conflict, InvalidInput, NotFound, PaymentRequired, ProviderRefusal, ServiceUnavailable } from '../../app/errors';
import { count, METRIC } from '../../platform/metrics';
import { TokenBucket } from '../../platform/token-bucket';

/**
 * How a failed call is tried again: exponential backoff with full jitter, at most `attempts`
 * tries in all. `sleep` and `random` are injectable so tests neither wait nor depend on luck.
 */
export interface RetryPolicy {
  /** Tries in all, the first included. */
  readonly attempts: number;
  /** The ceiling of the first wait; each retry doubles it, up to `maxDelayMs`. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  /** A number in [0, 1): the share of the ceiling actually waited (full jitter). */
  readonly random: () => number;
}

/**
 * Stripe answers 429 when a client goes too fast (about 100 requests/s live, 25 in test mode)
 * and the SDK does not retry it. Six tries wait at most about 6 s in all (ceilings of 200 ms,
 * 400 ms, ... 3.2 s).
 */
export const DEFAULT_RETRY: RetryPolicy = {
  attempts: 6,
  baseDelayMs: 200,
  maxDelayMs: 5_000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};

/**
 * What a 4xx refusal becomes. `typed`: the kind that names it (a decline is `PaymentRequired`,
 * a missing object `NotFound`, ...), else `ProviderRefusal`. `refusal`: always `ProviderRefusal`,
 * for callers that only need to know a retry cannot succeed (the overage run records it).
 */
export type RefusalStyle = 'typed' | 'refusal';

/** How safe a request is to send again when we do not know whether Stripe received it. */
export type Replay = 'safe' | 'unsafe';

/** The request options a keyed POST is sent with: the key makes Stripe replay a retry. */
export interface KeyedRequest {
  readonly idempotencyKey: string;
}

const isStripeError = (error: unknown): error is Stripe.errors.StripeError => error instanceof Stripe.errors.StripeError;

/** Stripe rejected it before doing anything: too fast (429) or the object is locked by another request. */
const isThrottled = (error: Stripe.errors.StripeError): boolean =>
  error instanceof Stripe.errors.StripeRateLimitError || error.statusCode === 429 || error.code === 'lock_timeout';

/**
 * Whether trying the same request again may succeed and cannot do anything twice. A throttled
 * request was not processed, so it is always retried. Otherwise Stripe's `Stripe-Should-Retry`
 * header decides when present (true on an idempotency key still in use); without it, a lost
 * connection, a 409 and a 5xx are retried only when a replay is safe (a GET, or a POST with an
 * idempotency key, which Stripe answers with the first result). A 4xx refusal never is.
 */
export const isRetryable = (error: unknown, replay: Replay): boolean => {
  if (!isStripeError(error)) return false;
  if (isThrottled(error)) return true;
  const advice = error.headers?.['stripe-should-retry'];
  if (advice === 'false') return false;
  if (advice === 'true') return true;
  if (replay === 'unsafe') return false;
  if (error instanceof Stripe.errors.StripeConnectionError) return true;
  return error.statusCode === 409 || (error.statusCode !== undefined && error.statusCode >= 500);
};

/** Stripe refused for good: a 4xx other than 429 (trying the same request again cannot succeed). */
const isRefusal = (error: Stripe.errors.StripeError): boolean =>
  !isThrottled(error) && typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500;

/** The same request may succeed later: throttled, unreachable, or a retry Stripe asked for. */
const isTransient = (error: Stripe.errors.StripeError): boolean =>
  isThrottled(error) || error instanceof Stripe.errors.StripeConnectionError || error.headers?.['stripe-should-retry'] === 'true';

/**
 * A Stripe failure in our words. A declined card is `PaymentRequired` (402), a reused
 * idempotency key with other parameters `Conflict` (409), an unknown payment method, a customer
 * Stripe Tax cannot place or a tax ID it refuses `InvalidInput` naming the field (400), a missing object `NotFound` (404), any other 4xx
 * `ProviderRefusal`; throttling or an unreachable Stripe (once retries are spent) is
 * `ServiceUnavailable`. With `refusals: 'refusal'` every 4xx is `ProviderRefusal`. Anything
 * else (a 5xx Stripe did not ask us to retry, a bug) is returned as it is: an internal error.
 *
 * @example
 * translateStripeError(new Stripe.errors.StripeCardError({ message: 'Your card was declined.', statusCode: 402 }));
 * // PaymentRequired('Your card was declined.')
 */
export const translateStripeError = (error: unknown, refusals: RefusalStyle = 'typed'): unknown => {
  if (!isStripeError(error)) return error;
  if (isTransient(error)) return new ServiceUnavailable('Stripe did not take the request; try again', { cause: error });
  if (!isRefusal(error)) return error;
  // A wrong or under-privileged key is our configuration, not a refusal of this request: it
  // fails loudly (500, or the overage message is retried and dead-lettered) until it is fixed,
  // and never marks an overage line as failed for good.
  if (error.statusCode === 401 || error.statusCode === 403) return error;
  if (refusals === 'refusal') return new ProviderRefusal(error.message, { cause: error });
  if (error instanceof Stripe.errors.StripeCardError) return new PaymentRequired(error.message, { cause: error });
  if (error instanceof Stripe.errors.StripeIdempotencyError) {
    // 409: the first request with this key is still running (retries spent). Otherwise the key
    // was used before for a request with other parameters: retrying cannot help.
    if (error.statusCode === 409) return new Conflict('A request with the same idempotency key is still being processed; try again', { cause: error });
    return new Conflict('This idempotency key was already used for a different request; a new request needs a new key', { cause: error });
  }
  if (error.param === 'payment_method') {
    return Object.assign(new InvalidInput('Unknown payment method', [{ field: 'payment_method', message: error.message }]), { cause: error });
  }
  if (error.code === 'customer_tax_location_invalid') {
    return Object.assign(
      new InvalidInput('Stripe Tax cannot place the customer from its billing address', [{ field: 'address', message: error.message }]),
      { cause: error },
    );
  }
  if (error.code === 'tax_id_invalid') {
    return Object.assign(new InvalidInput('Invalid tax ID', [{ field: 'tax_ids', message: error.message }]), { cause: error });
  }
  // A promotion code Stripe will not redeem (used up, expired) between our check and the call.
  if (error.param?.startsWith('discounts')) {
    return Object.assign(new InvalidInput('This promotion code cannot be used', [{ field: 'promotion_code', message: error.message }]), { cause: error });
  }
  if (error.code === 'resource_missing') return new NotFound(error.message, { cause: error });
  return new ProviderRefusal(error.message, { cause: error });
};

export interface CallOptions {
  readonly refusals?: RefusalStyle;
}

/** A page of a Stripe list, asked for by the id to start after (undefined for the first). */
export type PageRequest<T> = (sdk: Stripe, startingAfter: string | undefined) => Promise<Stripe.ApiList<T>>;

/**
 * The one way to call Stripe: every request goes through `read`, `write`, `remove` or `list`,
 * which retry what is safe to retry and turn Stripe's errors into ours. A POST cannot be sent
 * without an idempotency key: `write` takes it and hands the request options to the call.
 */
export class StripeClient {
  private readonly policy: RetryPolicy;

  constructor(
    private readonly sdk: Stripe,
    policy: Partial<RetryPolicy> = {},
    /** Shared by every request of the container; none: not paced. */
    private readonly budget?: TokenBucket,
  ) {
    this.policy = { ...DEFAULT_RETRY, ...policy };
  }

  /**
   * A GET: retried when throttled, unreachable or failing on Stripe's side.
   *
   * @example
   * const sub = await client.read((stripe) => stripe.subscriptions.retrieve('sub_123'));
   */
  read<T>(call: (sdk: Stripe) => Promise<T>, options: CallOptions = {}): Promise<T> {
    return this.run(() => call(this.sdk), 'safe', options);
  }

  /**
   * A POST, sent with `idempotencyKey`: Stripe answers a retry with the first result, so it is
   * retried like a GET and cannot create or charge anything twice.
   *
   * @example
   * await client.write(`customer:${tenantId}`, (stripe, request) => stripe.customers.create({ email }, request));
   */
  write<T>(idempotencyKey: string, call: (sdk: Stripe, request: KeyedRequest) => Promise<T>, options: CallOptions = {}): Promise<T> {
    if (idempotencyKey === '') throw new Error('a Stripe POST needs an idempotency key');
    const request: KeyedRequest = { idempotencyKey };
    return this.run(() => call(this.sdk, request), 'safe', options);
  }

  /**
   * A DELETE (Stripe takes no idempotency key on one): retried only when Stripe says it did
   * nothing (throttled, or `Stripe-Should-Retry: true`), never after a lost connection.
   *
   * @example
   * await client.remove((stripe) => stripe.subscriptions.cancel('sub_123'));
   */
  remove<T>(call: (sdk: Stripe) => Promise<T>, options: CallOptions = {}): Promise<T> {
    return this.run(() => call(this.sdk), 'unsafe', options);
  }

  /**
   * Every item of a list, page by page; each page is a `read` of its own.
   *
   * @example
   * for await (const item of client.list((stripe, after) => stripe.invoiceItems.list({ customer, limit: 100, ...(after ? { starting_after: after } : {}) }))) { ... }
   */
  async *list<T extends { id?: string }>(page: PageRequest<T>, options: CallOptions = {}): AsyncGenerator<T> {
    let after: string | undefined;
    for (;;) {
      const current = await this.read((sdk) => page(sdk, after), options);
      for (const item of current.data) yield item;
      const last = current.data.at(-1)?.id;
      if (!current.has_more || !last) return;
      after = last;
    }
  }

  /**
   * Verifies a webhook's signature and parses it. Not a request (no network, nothing to retry):
   * the SDK's `InvalidSignature` cases are the caller's to translate.
   */
  constructEvent(payload: string, header: string, secret: string, toleranceSeconds: number, receivedAt: Date): Stripe.Event {
    return this.sdk.webhooks.constructEvent(payload, header, secret, toleranceSeconds, undefined, receivedAt.getTime());
  }

  private async run<T>(call: () => Promise<T>, replay: Replay, options: CallOptions): Promise<T> {
    const { attempts, baseDelayMs, maxDelayMs, sleep, random } = this.policy;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.budget?.take();
        return await call();
      } catch (error) {
        // A missing object is an answer (the catalog sync looks products up that way), not a failure.
        if (isStripeError(error) && error.statusCode !== 404) {
          count(error instanceof Stripe.errors.StripeRateLimitError ? METRIC.stripeRateLimited : METRIC.stripeErrors);
        }
        if (attempt >= attempts || !isRetryable(error, replay)) throw translateStripeError(error, options.refusals);
        await sleep(random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1)));
      }
    }
  }
}

export interface StripeClientOptions {
  readonly secretKey: string;
  /** The local Stripe endpoint; unset for api.stripe.com. */
  readonly apiBase?: string;
  readonly retry?: Partial<RetryPolicy>;
  /** Paces every request (retries included) to this container's share of the account's rate limit. */
  readonly maxRequestsPerSecond?: number;
}

/**
 * The SDK client (one per container) inside our call wrapper. The SDK's own retries are off
 * so that the wrapper's policy is the only one (it would otherwise multiply with the SDK's).
 *
 * @example
 * const client = createStripeClient({ secretKey: 'sk_test_local', apiBase: 'http://127.0.0.1:12111' });
 */
export const createStripeClient = (options: StripeClientOptions): StripeClient => {
  const base = options.apiBase ? new URL(options.apiBase) : null;
  const sdk = new Stripe(options.secretKey, {
    maxNetworkRetries: 0,
    timeout: 10_000,
    telemetry: false,
    ...(base
      ? {
          host: base.hostname,
          port: Number(base.port || (base.protocol === 'https:' ? 443 : 80)),
          protocol: base.protocol === 'https:' ? 'https' : 'http',
        }
      : {}),
  });
  return new StripeClient(sdk, options.retry, options.maxRequestsPerSecond ? new TokenBucket({ perSecond: options.maxRequestsPerSecond }) : undefined);
};
