import type Stripe from 'stripe';
import { deleteCustomer } from '../billing/ending';
import { boundary, recurrenceOf } from '../billing/periods';
import { advanceTestClock } from '../billing/scheduler';
import { invalidRequest, parameterMissing } from '../errors';
import { newId } from '../ids';
import { LIST_PARAMS, newestFirst, toList } from '../lists';
import { itemOf, LIVE_STATUSES } from '../objects/subscription';
import { newTestClock } from '../objects/test-clock';
import { must } from '../store';
import { type ApiContext, type ApiRequest, expandOf, Params, pathParam, render, type Route } from './context';

/**
 * Test clocks. Each has its own time, `frozen_time`: customers created with `test_clock` (and
 * their subscriptions, invoices, items and schedules) live on it, and only `advance` moves it.
 * Objects on no test clock follow the shared simulated clock.
 */
const create = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['frozen_time', 'name', 'expand']);
  const frozen = p.int('frozen_time', { min: 0 });
  if (frozen === undefined) throw parameterMissing('frozen_time');
  const clock = newTestClock({ id: newId('clock'), name: p.string('name') ?? null, frozenTime: frozen, now: ctx.scope.sharedNow() });
  ctx.state.testClocks.set(clock.id, clock);
  ctx.scope.within(clock.id, () => ctx.events.emit('test_helpers.test_clock.created', clock));
  return render(ctx, clock, expandOf(p));
};

const retrieve = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['expand']);
  return render(ctx, must(ctx.state.testClocks, pathParam(req, 'id'), 'test_helpers.test_clock'), expandOf(p));
};

const list = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, [...LIST_PARAMS]);
  return render(ctx, toList(newestFirst(ctx.state.testClocks), p, '/v1/test_helpers/test_clocks'), expandOf(p));
};

/** Deleting a test clock deletes its customers (their subscriptions end) with it. */
const remove = (ctx: ApiContext, req: ApiRequest): unknown => {
  Params.strict(req.params, []);
  const clock = must(ctx.state.testClocks, pathParam(req, 'id'), 'test_helpers.test_clock');
  ctx.scope.within(clock.id, () => {
    for (const customer of [...ctx.state.customers.values()]) {
      const on = typeof customer.test_clock === 'string' ? customer.test_clock : (customer.test_clock?.id ?? null);
      if (on === clock.id) deleteCustomer(ctx, customer);
    }
    ctx.state.testClocks.delete(clock.id);
    ctx.events.emit('test_helpers.test_clock.deleted', clock);
  });
  return { id: clock.id, object: 'test_helpers.test_clock', deleted: true };
};

const TWO_YEARS = { interval: 'year', count: 2 } as const;

/**
 * How far the clock may go, as Stripe documents it: two intervals of the shortest subscription
 * on the clock ahead of its frozen time, or two years when it has none.
 */
const advanceLimit = (ctx: ApiContext, clock: Stripe.TestHelpers.TestClock): number => {
  let limit = boundary(clock.frozen_time, TWO_YEARS, 1);
  for (const sub of ctx.state.subscriptions.values()) {
    const on = typeof sub.test_clock === 'string' ? sub.test_clock : (sub.test_clock?.id ?? null);
    if (on !== clock.id || !(LIVE_STATUSES.includes(sub.status) || sub.status === 'incomplete' || sub.status === 'paused')) continue;
    limit = Math.min(limit, boundary(clock.frozen_time, recurrenceOf(itemOf(sub).price), 2));
  }
  return limit;
};

/**
 * Moves the clock to `frozen_time`. Stripe answers `advancing` and works in the background; here
 * the whole advance (everything due for the clock's objects on the way) runs before the answer,
 * which therefore shows `ready`. Its webhooks follow the response, dated in the clock's time.
 */
const advance = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['frozen_time', 'expand']);
  const clock = must(ctx.state.testClocks, pathParam(req, 'id'), 'test_helpers.test_clock');
  const target = p.int('frozen_time', { min: 0 });
  if (target === undefined) throw parameterMissing('frozen_time');
  if (target <= clock.frozen_time)
    throw invalidRequest('The frozen_time must be after the current frozen_time of the test clock.', { param: 'frozen_time' });
  const limit = advanceLimit(ctx, clock);
  if (target > limit)
    throw invalidRequest(
      `Cannot advance the test clock to ${target}: it can move at most two intervals of the shortest subscription on it (two years without subscriptions), up to ${limit}.`,
      { param: 'frozen_time' },
    );
  advanceTestClock(ctx, ctx.scope, clock, target);
  return render(ctx, clock, expandOf(p));
};

export const testClockRoutes: readonly Route[] = [
  { method: 'POST', path: '/v1/test_helpers/test_clocks', handler: create },
  { method: 'GET', path: '/v1/test_helpers/test_clocks', handler: list },
  { method: 'GET', path: '/v1/test_helpers/test_clocks/:id', handler: retrieve },
  { method: 'DELETE', path: '/v1/test_helpers/test_clocks/:id', handler: remove },
  { method: 'POST', path: '/v1/test_helpers/test_clocks/:id/advance', handler: advance },
];
