import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { Conflict, InvalidInput, NotFound, PaymentRequired, ProviderRefusal, ServiceUnavailable } from '../../../../src/app/errors';
import { isRetryable, StripeClient, translateStripeError, type RetryPolicy } from '../../../../src/adapters/stripe/client';
import type { TokenBucket } from '../../../../src/platform/token-bucket';

// Errors as the SDK builds them from Stripe's answers (see `generateV1Error` in the SDK).
const { errors } = Stripe;
const cardDeclined = () => new errors.StripeCardError({ message: 'Your card was declined.', statusCode: 402, type: 'card_error', code: 'card_declined' });
const missing = (param = 'id') =>
  new errors.StripeInvalidRequestError({ message: 'No such subscription', statusCode: 404, type: 'invalid_request_error', code: 'resource_missing', param });
const invalid = (param = 'amount') =>
  new errors.StripeInvalidRequestError({ message: 'Invalid integer', statusCode: 400, type: 'invalid_request_error', param, headers: { 'stripe-should-retry': 'false' } });
const keyReused = () => new errors.StripeIdempotencyError({ message: 'Keys for idempotent requests can only be used with the same parameters', statusCode: 400, type: 'idempotency_error' });
const rateLimited = () => new errors.StripeRateLimitError({ message: 'Too many requests', statusCode: 429, code: 'rate_limit', headers: { 'stripe-should-retry': 'false' } });
const lockTimeout = () => new errors.StripeRateLimitError({ message: 'This object cannot be accessed right now', statusCode: 429, code: 'lock_timeout' });
const unreachable = () => new errors.StripeConnectionError({ message: 'An error occurred with our connection to Stripe.' });
const unauthorized = () => new errors.StripeAuthenticationError({ message: 'Invalid API Key provided', statusCode: 401 });
const serverError = (shouldRetry?: 'true' | 'false') =>
  new errors.StripeAPIError({ message: 'Something went wrong', statusCode: 500, ...(shouldRetry ? { headers: { 'stripe-should-retry': shouldRetry } } : {}) });

/** A client whose sleeps are recorded instead of waited, with jitter pinned to the ceiling. */
const clientWith = (policy: Partial<RetryPolicy> = {}) => {
  const sleeps: number[] = [];
  const client = new StripeClient(new Stripe('sk_test_unused'), {
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.999,
    ...policy,
  });
  return { client, sleeps };
};

/** A call that fails with the given errors, in turn, then answers `value`; counts its calls. */
const failing = <T>(value: T, ...failures: Error[]) => {
  const call = { count: 0, run: async (): Promise<T> => {
    const failure = failures[call.count];
    call.count += 1;
    if (failure) throw failure;
    return value;
  } };
  return call;
};

describe('translateStripeError', () => {
  it.each([
    ['a declined card', cardDeclined(), PaymentRequired],
    ['an idempotency key reused with other parameters', keyReused(), Conflict],
    ['an unknown payment method', missing('payment_method'), InvalidInput],
    ['a missing object', missing(), NotFound],
    ['another 4xx refusal', invalid(), ProviderRefusal],
    ['a rate limit', rateLimited(), ServiceUnavailable],
    ['a lock timeout', lockTimeout(), ServiceUnavailable],
    ['a lost connection', unreachable(), ServiceUnavailable],
    ['a 5xx Stripe asks us to retry', serverError('true'), ServiceUnavailable],
  ])('turns %s into %s', (_, error, kind) => {
    const translated = translateStripeError(error);
    expect(translated).toBeInstanceOf(kind);
    expect((translated as Error).cause).toBe(error);
  });

  it('says what happened to an idempotency key: used for another request, or still in flight', () => {
    const inFlight = new errors.StripeIdempotencyError({ message: 'There is currently another in-progress request using this idempotency key', statusCode: 409, type: 'idempotency_error' });
    expect((translateStripeError(keyReused()) as Error).message).toMatch(/already used for a different request/);
    expect((translateStripeError(keyReused()) as Error).message).not.toMatch(/still being processed/);
    expect((translateStripeError(inFlight) as Error).message).toMatch(/still being processed/);
  });

  it('names the payment method field of an unknown payment method', () => {
    expect(translateStripeError(missing('payment_method'))).toMatchObject({ details: [{ field: 'payment_method', message: 'No such subscription' }] });
  });

  it('keeps Stripe\'s message on a decline (the customer may read it)', () => {
    expect(translateStripeError(cardDeclined())).toMatchObject({ message: 'Your card was declined.' });
  });

  it.each(['typed', 'refusal'] as const)('leaves a rejected API key (401) as an internal error, never a refusal (%s)', (style) => {
    const error = unauthorized();
    expect(translateStripeError(error, style)).toBe(error);
  });

  it('leaves a 5xx Stripe advises against retrying as an internal error', () => {
    const error = serverError('false');
    expect(translateStripeError(error)).toBe(error);
  });

  it('leaves what is not a Stripe error alone', () => {
    const bug = new TypeError('x is undefined');
    expect(translateStripeError(bug)).toBe(bug);
  });

  it('makes every refusal for good a ProviderRefusal when asked to', () => {
    for (const error of [cardDeclined(), keyReused(), missing('payment_method'), missing(), invalid()]) {
      expect(translateStripeError(error, 'refusal')).toBeInstanceOf(ProviderRefusal);
    }
    expect(translateStripeError(rateLimited(), 'refusal')).toBeInstanceOf(ServiceUnavailable);
  });
});

describe('isRetryable', () => {
  it('retries throttling even on a request that is unsafe to replay', () => {
    expect(isRetryable(rateLimited(), 'unsafe')).toBe(true);
    expect(isRetryable(lockTimeout(), 'unsafe')).toBe(true);
  });
  it('retries a lost connection only when a replay is safe', () => {
    expect(isRetryable(unreachable(), 'safe')).toBe(true);
    expect(isRetryable(unreachable(), 'unsafe')).toBe(false);
  });
  it('follows Stripe-Should-Retry on other failures', () => {
    expect(isRetryable(serverError('false'), 'safe')).toBe(false);
    expect(isRetryable(serverError('true'), 'unsafe')).toBe(true);
    expect(isRetryable(serverError(), 'safe')).toBe(true);
  });
  it('never retries a refusal for good', () => {
    for (const error of [cardDeclined(), keyReused(), missing(), invalid(), unauthorized()]) expect(isRetryable(error, 'safe')).toBe(false);
  });
});

describe('StripeClient', () => {
  describe('read', () => {
    it('retries a 429 and answers once Stripe takes the request', async () => {
      const { client, sleeps } = clientWith();
      const call = failing('sub_1', rateLimited(), rateLimited());
      await expect(client.read(call.run)).resolves.toBe('sub_1');
      expect(call.count).toBe(3);
      expect(sleeps).toHaveLength(2);
    });

    it('throws ServiceUnavailable after the bound when Stripe answers 429 forever', async () => {
      const { client, sleeps } = clientWith({ attempts: 4 });
      const call = failing('never', ...Array.from({ length: 10 }, rateLimited));
      const error = await client.read(call.run).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ServiceUnavailable);
      expect((error as Error).cause).toBeInstanceOf(errors.StripeRateLimitError);
      expect(call.count).toBe(4);
      expect(sleeps).toHaveLength(3);
    });

    it('waits exponentially longer, up to the ceiling, with full jitter', async () => {
      const { client, sleeps } = clientWith({ attempts: 6, baseDelayMs: 100, maxDelayMs: 1_000, random: () => 0.5 });
      await client.read(failing('ok', ...Array.from({ length: 5 }, lockTimeout)).run);
      expect(sleeps).toEqual([50, 100, 200, 400, 500]);
    });

    it('retries a lost connection', async () => {
      const { client } = clientWith();
      const call = failing('in_1', unreachable());
      await expect(client.read(call.run)).resolves.toBe('in_1');
      expect(call.count).toBe(2);
    });

    it('does not retry a 400 and throws it translated at once', async () => {
      const { client, sleeps } = clientWith();
      const call = failing('never', invalid());
      await expect(client.read(call.run)).rejects.toBeInstanceOf(ProviderRefusal);
      expect(call.count).toBe(1);
      expect(sleeps).toEqual([]);
    });

    it.each([
      ['a declined card', cardDeclined(), PaymentRequired],
      ['a missing object', missing(), NotFound],
      ['a reused idempotency key', keyReused(), Conflict],
    ])('does not retry %s', async (_, error, kind) => {
      const { client } = clientWith();
      const call = failing('never', error);
      await expect(client.read(call.run)).rejects.toBeInstanceOf(kind);
      expect(call.count).toBe(1);
    });

    it('passes errors that are not Stripe\'s through untouched and untried', async () => {
      const { client } = clientWith();
      const bug = new TypeError('x is undefined');
      const call = failing('never', bug);
      await expect(client.read(call.run)).rejects.toBe(bug);
      expect(call.count).toBe(1);
    });
  });

  describe('write', () => {
    it('hands the idempotency key to the call and sends every retry with the same key', async () => {
      const { client } = clientWith();
      const keys: string[] = [];
      const call = failing('cus_1', rateLimited(), unreachable());
      await expect(client.write('customer:org-1', (_, request) => (keys.push(request.idempotencyKey), call.run()))).resolves.toBe('cus_1');
      expect(keys).toEqual(['customer:org-1', 'customer:org-1', 'customer:org-1']);
    });

    it('refuses to send a POST without an idempotency key', () => {
      const { client } = clientWith();
      expect(() => client.write('', async () => 'x')).toThrow(/idempotency key/);
    });

    it('reports every refusal for good as ProviderRefusal when asked to', async () => {
      const { client } = clientWith();
      await expect(client.write('ii:1', failing('never', cardDeclined()).run, { refusals: 'refusal' })).rejects.toBeInstanceOf(ProviderRefusal);
    });
  });

  describe('remove', () => {
    it('retries a 429 (Stripe did nothing)', async () => {
      const { client } = clientWith();
      const call = failing('sub_1', rateLimited());
      await expect(client.remove(call.run)).resolves.toBe('sub_1');
      expect(call.count).toBe(2);
    });

    it('does not retry a lost connection: the DELETE may have been done, and it carries no key', async () => {
      const { client } = clientWith();
      const call = failing('sub_1', unreachable());
      await expect(client.remove(call.run)).rejects.toBeInstanceOf(ServiceUnavailable);
      expect(call.count).toBe(1);
    });
  });

  describe('list', () => {
    it('reads every page, retrying a throttled one on its own', async () => {
      const { client } = clientWith();
      const pages: (string | undefined)[] = [];
      const items = ['ii_1', 'ii_2', 'ii_3'].map((id) => ({ id }));
      let throttled = false;
      const found: string[] = [];
      for await (const item of client.list(async (_, after) => {
        if (after === 'ii_2' && !throttled) {
          throttled = true;
          throw rateLimited();
        }
        pages.push(after);
        const start = after ? items.findIndex((i) => i.id === after) + 1 : 0;
        return { object: 'list' as const, url: '/v1/invoiceitems', data: items.slice(start, start + 2), has_more: start + 2 < items.length };
      })) {
        found.push(item.id);
      }
      expect(found).toEqual(['ii_1', 'ii_2', 'ii_3']);
      expect(pages).toEqual([undefined, 'ii_2']);
    });
  });
});

describe('StripeClient with a budget', () => {
  it('takes a token from the budget before every request, retries of a 429 included', async () => {
    // Prepare: a budget that counts what it hands out.
    const taken: number[] = [];
    let n = 0;
    const budget = { take: async () => void taken.push((n += 1)) } as unknown as TokenBucket;
    const client = new StripeClient(new Stripe('sk_test_unused'), { sleep: async () => undefined, random: () => 0 }, budget);
    const call = failing('ok', rateLimited(), rateLimited());

    // Act
    const result = await client.read(() => call.run());

    // Assess
    expect(result).toBe('ok');
    expect(call.count).toBe(3);
    expect(taken).toEqual([1, 2, 3]);
  });
});
