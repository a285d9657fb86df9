import type Stripe from 'stripe';
import { invalidRequest, parameterMissing } from '../errors';
import { newId } from '../ids';
import { LIST_PARAMS, newestFirst, toList } from '../lists';
import { newTestClock } from '../objects/test-clock';
import { must } from '../store';
import { type ApiContext, type ApiRequest, expandOf, Params, pathParam, render, type Route } from './context';

/**
 * Test clocks. Local mode has one simulated clock, so every test clock reads it: `frozen_time`
 * is the shared clock's time, and `advance` moves the shared clock (through the host's
 * `advanceClock` callback), which moves every customer, not only the clock's own.
 */
const view = (ctx: ApiContext, clock: Stripe.TestHelpers.TestClock): Stripe.TestHelpers.TestClock => {
  clock.frozen_time = ctx.now();
  return clock;
};

const create = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['frozen_time', 'name', 'expand']);
  const frozen = p.int('frozen_time', { min: 0 });
  if (frozen === undefined) throw parameterMissing('frozen_time');
  const clock = newTestClock({ id: newId('clock'), name: p.string('name') ?? null, frozenTime: ctx.now(), now: ctx.now() });
  ctx.state.testClocks.set(clock.id, clock);
  ctx.events.emit('test_helpers.test_clock.created', clock);
  return render(ctx, view(ctx, clock), expandOf(p));
};

const retrieve = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['expand']);
  return render(ctx, view(ctx, must(ctx.state.testClocks, pathParam(req, 'id'), 'test_helpers.test_clock')), expandOf(p));
};

const list = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, [...LIST_PARAMS]);
  const clocks = newestFirst(ctx.state.testClocks).map((c) => view(ctx, c));
  return render(ctx, toList(clocks, p, '/v1/test_helpers/test_clocks'), expandOf(p));
};

const remove = (ctx: ApiContext, req: ApiRequest): unknown => {
  Params.strict(req.params, []);
  const clock = must(ctx.state.testClocks, pathParam(req, 'id'), 'test_helpers.test_clock');
  ctx.state.testClocks.delete(clock.id);
  ctx.events.emit('test_helpers.test_clock.deleted', view(ctx, clock));
  return { id: clock.id, object: 'test_helpers.test_clock', deleted: true };
};

const advance = async (ctx: ApiContext, req: ApiRequest): Promise<unknown> => {
  const p = Params.strict(req.params, ['frozen_time', 'expand']);
  const clock = must(ctx.state.testClocks, pathParam(req, 'id'), 'test_helpers.test_clock');
  const target = p.int('frozen_time', { min: 0 });
  if (target === undefined) throw parameterMissing('frozen_time');
  if (target <= ctx.now())
    throw invalidRequest('The frozen_time must be after the current frozen_time of the test clock.', { param: 'frozen_time' });
  if (!ctx.advanceClock)
    throw invalidRequest('This local Stripe endpoint was started without an advanceClock callback, so it cannot move the shared clock.');
  clock.status = 'advancing';
  clock.status_details = { advancing: { target_frozen_time: target } };
  ctx.events.emit('test_helpers.test_clock.advancing', view(ctx, clock));
  await ctx.advanceClock(new Date(target * 1000));
  clock.status = 'ready';
  clock.status_details = {};
  ctx.events.emit('test_helpers.test_clock.ready', view(ctx, clock));
  return render(ctx, view(ctx, clock), expandOf(p));
};

export const testClockRoutes: readonly Route[] = [
  { method: 'POST', path: '/v1/test_helpers/test_clocks', handler: create },
  { method: 'GET', path: '/v1/test_helpers/test_clocks', handler: list },
  { method: 'GET', path: '/v1/test_helpers/test_clocks/:id', handler: retrieve },
  { method: 'DELETE', path: '/v1/test_helpers/test_clocks/:id', handler: remove },
  { method: 'POST', path: '/v1/test_helpers/test_clocks/:id/advance', handler: advance },
];
