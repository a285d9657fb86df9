import { IdempotencyRecordStatus } from '@aws-lambda-powertools/idempotency';
import type { Context } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { Conflict, InvalidInput } from '../../../src/app/errors';
import { createOnceForKey, REPLAY_SECONDS, type IdempotencyScope } from '../../../src/http/idempotency';
import { MemoryPersistence } from '../../support/fakes/http';

const REMAINING_MS = 5_000;
const context = { awsRequestId: 'req-1', functionName: 'subscriptions', getRemainingTimeInMillis: () => REMAINING_MS } as unknown as Context;

const scope = (key: string, overrides: Partial<IdempotencyScope> = {}): IdempotencyScope => ({
  route: 'POST /api/billing/subscriptions/create',
  tenant: 'org-1',
  key,
  ...overrides,
});

const setup = () => {
  const store = new MemoryPersistence();
  return { store, onceForKey: createOnceForKey({ persistenceStore: store }) };
};

/** A run the test finishes when it likes. */
const pending = <T>() => {
  let finish: (value: T) => void = () => undefined;
  const done = new Promise<T>((resolve) => {
    finish = resolve;
  });
  return { done, finish };
};

describe('createOnceForKey', () => {
  it('runs the operation once and replays its first answer for the same key and body', async () => {
    // Prepare
    const { onceForKey } = setup();
    const run = vi.fn(async () => ({ status: 201, body: { id: 'sub_1' } }));

    // Act
    const first = await onceForKey(scope('key-1'), { plan_id: 'starter' }, context, run);
    const replay = await onceForKey(scope('key-1'), { plan_id: 'starter' }, context, run);

    // Assess
    expect(run).toHaveBeenCalledOnce();
    expect(replay).toEqual(first);
    expect(replay).toEqual({ status: 201, body: { id: 'sub_1' } });
  });

  it('replays a request without a body for a retry without one', async () => {
    const { onceForKey } = setup();
    const run = vi.fn(async () => ({ status: 200 }));

    await onceForKey(scope('key-1'), undefined, context, run);
    await onceForKey(scope('key-1'), undefined, context, run);

    expect(run).toHaveBeenCalledOnce();
  });

  it('answers Conflict (409) for the same key with another body, without running', async () => {
    const { onceForKey } = setup();
    await onceForKey(scope('key-1'), { plan_id: 'starter' }, context, async () => ({ status: 201 }));
    const run = vi.fn(async () => ({ status: 201 }));

    const reuse = onceForKey(scope('key-1'), { plan_id: 'pro' }, context, run);

    await expect(reuse).rejects.toBeInstanceOf(Conflict);
    await expect(reuse).rejects.toThrow('This Idempotency-Key was used with a different request body');
    expect(run).not.toHaveBeenCalled();
  });

  it('answers Conflict (409) while the first request with the key is still running', async () => {
    const { store, onceForKey } = setup();
    const slow = pending<{ status: number }>();
    const first = onceForKey(scope('key-1'), { plan_id: 'starter' }, context, () => slow.done);
    await vi.waitFor(() => expect(store.records.size).toBe(1));
    const run = vi.fn(async () => ({ status: 201 }));

    const concurrent = onceForKey(scope('key-1'), { plan_id: 'starter' }, context, run);

    await expect(concurrent).rejects.toBeInstanceOf(Conflict);
    await expect(concurrent).rejects.toThrow('A request with this Idempotency-Key is still in progress');
    expect(run).not.toHaveBeenCalled();
    slow.finish({ status: 201 });
    await expect(first).resolves.toEqual({ status: 201 });
  });

  it('marks the in-progress record to expire with the invocation', async () => {
    const { store, onceForKey } = setup();
    const slow = pending<{ status: number }>();
    const before = Date.now();

    const first = onceForKey(scope('key-1'), {}, context, () => slow.done);
    await vi.waitFor(() => expect(store.records.size).toBe(1));

    const [record] = [...store.records.values()];
    expect(record?.getStatus()).toBe(IdempotencyRecordStatus.INPROGRESS);
    expect(record?.inProgressExpiryTimestamp).toBeGreaterThanOrEqual(before + REMAINING_MS);
    expect(record?.inProgressExpiryTimestamp).toBeLessThanOrEqual(Date.now() + REMAINING_MS);
    slow.finish({ status: 201 });
    await first;
  });

  it('keeps the first answer for a day by default', async () => {
    const { store, onceForKey } = setup();

    await onceForKey(scope('key-1'), {}, context, async () => ({ status: 201 }));

    const [record] = [...store.records.values()];
    expect(record?.getStatus()).toBe(IdempotencyRecordStatus.COMPLETED);
    expect(record?.expiryTimestamp).toBeGreaterThan(Date.now() / 1000 + REPLAY_SECONDS - 60);
    expect(record?.expiryTimestamp).toBeLessThanOrEqual(Date.now() / 1000 + REPLAY_SECONDS + 1);
  });

  it('keeps a key apart per tenant and per route', async () => {
    const { onceForKey } = setup();
    const run = vi.fn(async () => ({ status: 201 }));

    await onceForKey(scope('key-1'), {}, context, run);
    await onceForKey(scope('key-1', { tenant: 'org-2' }), {}, context, run);
    await onceForKey(scope('key-1', { route: 'POST /api/billing/subscriptions/cancel' }), {}, context, run);

    expect(run).toHaveBeenCalledTimes(3);
  });

  it('lets the operation’s own failure through and runs it again on a retry', async () => {
    const { onceForKey } = setup();
    const failure = new Error('Stripe is down');

    const failed = onceForKey(scope('key-1'), {}, context, async () => {
      throw failure;
    });
    await expect(failed).rejects.toBe(failure);
    const retry = await onceForKey(scope('key-1'), {}, context, async () => ({ status: 201 }));

    expect(retry).toEqual({ status: 201 });
  });

  it.each([
    ['empty', ''],
    ['longer than 255 characters', 'k'.repeat(256)],
    ['with a space', 'key 1'],
    ['with a non-ASCII character', 'clé'],
  ])('refuses a key %s with InvalidInput (400), without running', async (_what, key) => {
    const { store, onceForKey } = setup();
    const run = vi.fn(async () => ({ status: 201 }));

    const attempt = onceForKey(scope(key), {}, context, run);

    await expect(attempt).rejects.toBeInstanceOf(InvalidInput);
    await expect(attempt).rejects.toThrow('Invalid Idempotency-Key');
    expect(run).not.toHaveBeenCalled();
    expect(store.records.size).toBe(0);
  });

  it('accepts a key of 255 visible ASCII characters', async () => {
    const { onceForKey } = setup();

    await expect(onceForKey(scope('~'.repeat(255)), {}, context, async () => ({ status: 201 }))).resolves.toEqual({ status: 201 });
  });
});
