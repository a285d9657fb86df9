import type Stripe from 'stripe';
import { clone } from '../clone';
import type { Recurrence } from '../billing/periods';
import {
  cancelSchedule,
  createScheduleFromPhases,
  createScheduleFromSubscription,
  type PhaseSpec,
  releaseSchedule,
  setPhases,
  subscriptionOfSchedule,
} from '../billing/schedules';
import type { ProrationBehavior } from '../billing/subscriptions';
import { invalidRequest, parameterInvalid, parameterMissing } from '../errors';
import { mergeMetadata } from '../http/params';
import { LIST_PARAMS, newestFirst, toList } from '../lists';
import { must } from '../store';
import { requireTaxLocation } from '../billing/tax';
import { automaticTaxParam } from './automatic-tax-param';
import { phaseDiscountsParam } from './discounts-param';
import { type ApiContext, type ApiRequest, expandOf, Params, pathParam, render, type Route } from './context';

const PRORATION: readonly ProrationBehavior[] = ['create_prorations', 'always_invoice', 'none'];
const END_BEHAVIORS: readonly Stripe.SubscriptionSchedule.EndBehavior[] = ['release', 'cancel'];

const create = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['from_subscription', 'customer', 'phases', 'start_date', 'end_behavior', 'default_settings', 'metadata', 'expand']);
  const from = p.nonEmptyString('from_subscription');
  const metadata = mergeMetadata(null, p.metadata());
  if (!from) {
    const customer = must(ctx.state.customers, p.requiredString('customer'), 'customer', 'customer');
    const phases = phaseSpecs(ctx, p, { customer: customer.id, reusable: customer.discount ? [customer.discount.id] : [] });
    if (!phases) throw parameterMissing('phases');
    const settings = p.object('default_settings', ['default_payment_method', 'automatic_tax']);
    const pm = settings?.nonEmptyString('default_payment_method');
    const automaticTax = settings ? automaticTaxParam(settings) : undefined;
    const startDate = p.timestampOrNow('start_date');
    // A schedule starting now creates its subscription at once: tax needs the customer's location.
    const startsNow = startDate === undefined || startDate === 'now' || startDate <= ctx.now();
    if (startsNow && (phases[0]?.automaticTax ?? automaticTax)) requireTaxLocation(customer);
    if (pm && ctx.state.paymentMethods.get(pm)?.customer !== customer.id)
      throw invalidRequest(`The customer does not have a payment method with the ID ${pm}. The payment method must be attached to the customer.`, {
        param: 'default_settings[default_payment_method]',
      });
    const schedule = createScheduleFromPhases(ctx, {
      customer,
      startDate,
      endBehavior: p.enum('end_behavior', END_BEHAVIORS),
      phases,
      defaultPaymentMethod: pm ?? null,
      metadata,
      ...(automaticTax === undefined ? {} : { automaticTax }),
    });
    return render(ctx, schedule, expandOf(p));
  }
  for (const key of ['customer', 'phases', 'start_date', 'end_behavior', 'default_settings'])
    if (p.has(key)) throw invalidRequest(`You cannot set \`${key}\` if \`from_subscription\` is set.`, { param: key });
  const sub = must(ctx.state.subscriptions, from, 'subscription', 'from_subscription');
  const schedule = createScheduleFromSubscription(ctx, sub, metadata);
  return render(ctx, schedule, expandOf(p));
};

const retrieve = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['expand']);
  return render(ctx, must(ctx.state.schedules, pathParam(req, 'id'), 'subscription schedule'), expandOf(p));
};

const PHASE_FIELDS = ['items', 'start_date', 'end_date', 'proration_behavior', 'metadata', 'duration', 'iterations', 'trial_end', 'automatic_tax', 'discounts'] as const;

/** Whose discounts a schedule's phases may name: the customer, and the discounts they may reuse. */
interface DiscountScope {
  readonly customer: string;
  readonly reusable: readonly string[];
}

const phaseSpecs = (ctx: ApiContext, p: Params, scope: DiscountScope): PhaseSpec[] | undefined =>
  p.objectList('phases', PHASE_FIELDS)?.map((phase) => {
    const items = phase.objectList('items', ['price', 'quantity', 'metadata']);
    if (!items || items.length === 0) throw parameterMissing(phase.name('items'));
    if (items.length > 1) throw parameterInvalid(phase.name('items'), 'The local Stripe endpoint models one item per phase.');
    const item = items[0];
    if (!item) throw parameterMissing(phase.name('items'));
    const quantity = item.int('quantity', { min: 1 });
    const price = must(ctx.state.prices, item.requiredString('price'), 'price', item.name('price'));
    const startDate = phase.timestampOrNow('start_date');
    const endDate = phase.timestampOrNow('end_date');
    const durationParams = phase.object('duration', ['interval', 'interval_count']);
    const iterations = phase.int('iterations', { min: 1 });
    if (iterations !== undefined && (endDate !== undefined || durationParams))
      throw invalidRequest('You may only specify one of these parameters: end_date, duration, iterations.', { param: phase.name('iterations') });
    let duration: Recurrence | undefined;
    if (durationParams) {
      if (endDate !== undefined) throw invalidRequest('You may only specify one of these parameters: duration, end_date.', { param: phase.name('duration') });
      const interval = durationParams.enum('interval', ['day', 'week', 'month', 'year'] as const);
      if (!interval) throw parameterMissing(durationParams.name('interval'));
      duration = { interval, count: durationParams.int('interval_count', { min: 1 }) ?? 1 };
    }
    const metadata = phase.metadata();
    return {
      price,
      startDate,
      endDate,
      duration,
      prorationBehavior: phase.enum('proration_behavior', PRORATION),
      metadata: metadata === '' || metadata === undefined ? {} : metadata,
      iterations,
      quantity,
      trialEnd: phase.timestampOrNow('trial_end'),
      automaticTax: automaticTaxParam(phase),
      discounts: phaseDiscountsParam(ctx, phase, scope.customer, price.currency, scope.reusable),
    };
  });

const update = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['phases', 'end_behavior', 'proration_behavior', 'default_settings', 'metadata', 'expand']);
  const schedule = must(ctx.state.schedules, pathParam(req, 'id'), 'subscription schedule');
  const customer = ctx.state.customers.get(typeof schedule.customer === 'string' ? schedule.customer : schedule.customer.id);
  const sub = subscriptionOfSchedule(ctx, schedule);
  const reusable = [...(sub?.discounts ?? []).map((d) => (typeof d === 'string' ? d : d.id)), ...(customer?.discount ? [customer.discount.id] : [])];
  const specs = phaseSpecs(ctx, p, { customer: customer?.id ?? '', reusable });
  const endBehavior = p.enum('end_behavior', END_BEHAVIORS);
  const prorationBehavior = p.enum('proration_behavior', PRORATION);
  const settings = p.object('default_settings', ['automatic_tax']);
  const automaticTax = settings ? automaticTaxParam(settings) : undefined;
  if (settings && !specs) throw parameterInvalid('default_settings', 'The local Stripe endpoint models default_settings on update together with phases only.');
  const metadata = p.metadata();
  if (customer && specs?.some((spec) => spec.automaticTax ?? automaticTax ?? schedule.default_settings.automatic_tax?.enabled ?? false))
    requireTaxLocation(customer);
  if (specs)
    setPhases(ctx, schedule, specs, {
      ...(endBehavior ? { endBehavior } : {}),
      ...(prorationBehavior ? { prorationBehavior } : {}),
      ...(automaticTax === undefined ? {} : { automaticTax }),
    });
  if (metadata !== undefined || (endBehavior && !specs)) {
    const before = clone(schedule);
    schedule.metadata = mergeMetadata(schedule.metadata, metadata);
    if (endBehavior) schedule.end_behavior = endBehavior;
    ctx.events.emitUpdated('subscription_schedule.updated', schedule, before);
  }
  return render(ctx, schedule, expandOf(p));
};

const release = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['preserve_cancel_date', 'expand']);
  p.bool('preserve_cancel_date');
  const schedule = must(ctx.state.schedules, pathParam(req, 'id'), 'subscription schedule');
  releaseSchedule(ctx, schedule);
  return render(ctx, schedule, expandOf(p));
};

const cancel = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['invoice_now', 'prorate', 'expand']);
  if (p.bool('invoice_now') || p.bool('prorate'))
    throw parameterInvalid('prorate', 'invoice_now/prorate on schedule cancel are not modelled by the local Stripe endpoint.');
  const schedule = must(ctx.state.schedules, pathParam(req, 'id'), 'subscription schedule');
  cancelSchedule(ctx, schedule);
  return render(ctx, schedule, expandOf(p));
};

const list = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, [...LIST_PARAMS, 'customer', 'scheduled', 'released', 'canceled', 'completed']);
  const customer = p.nonEmptyString('customer');
  const items = newestFirst(ctx.state.schedules).filter((s) => !customer || s.customer === customer);
  return render(ctx, toList(items, p, '/v1/subscription_schedules'), expandOf(p));
};

export const scheduleRoutes: readonly Route[] = [
  { method: 'POST', path: '/v1/subscription_schedules', handler: create },
  { method: 'GET', path: '/v1/subscription_schedules', handler: list },
  { method: 'GET', path: '/v1/subscription_schedules/:id', handler: retrieve },
  { method: 'POST', path: '/v1/subscription_schedules/:id', handler: update },
  { method: 'POST', path: '/v1/subscription_schedules/:id/release', handler: release },
  { method: 'POST', path: '/v1/subscription_schedules/:id/cancel', handler: cancel },
];
