import type Stripe from 'stripe';
import { cancelSetupIntent, confirmSetupIntent, paymentMethodParam } from '../billing/payments';
import { invalidRequest, resourceMissing } from '../errors';
import { mergeMetadata } from '../http/params';
import { newId } from '../ids';
import { inRange, LIST_PARAMS, newestFirst, toList } from '../lists';
import { newSetupIntent } from '../objects/payment-intent';
import { must } from '../store';
import { type ApiContext, type ApiRequest, expandOf, Params, pathParam, render, type Route } from './context';
import { cardTypesOnly } from './payment-intents';

const customerParam = (ctx: ApiContext, p: Params): string | null => {
  const id = p.nonEmptyString('customer');
  if (!id) return null;
  if (ctx.state.deletedCustomers.has(id)) throw resourceMissing('customer', id, 'customer');
  return must(ctx.state.customers, id, 'customer', 'customer').id;
};

const confirmWith = (ctx: ApiContext, si: Stripe.SetupIntent, p: Params): void => {
  const pm = p.nonEmptyString('payment_method');
  p.bool('use_stripe_sdk');
  p.object('mandate_data', ['customer_acceptance']);
  confirmSetupIntent(ctx, si, {
    ...(pm ? { paymentMethod: paymentMethodParam(ctx, pm, 'payment_method') } : {}),
    returnUrl: p.string('return_url') ?? null,
  });
};

const create = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, [
    'customer', 'payment_method', 'payment_method_types', 'description', 'metadata', 'usage', 'confirm', 'return_url', 'use_stripe_sdk', 'mandate_data', 'expand',
  ]);
  const confirm = p.bool('confirm') ?? false;
  for (const key of ['return_url', 'use_stripe_sdk', 'mandate_data'])
    if (!confirm && p.has(key)) throw invalidRequest(`You can only pass \`${key}\` when \`confirm\` is true.`, { param: key });
  const customer = customerParam(ctx, p);
  const pmParam = p.nonEmptyString('payment_method');
  const pm = pmParam ? paymentMethodParam(ctx, pmParam, 'payment_method') : null;
  const si = newSetupIntent({
    id: newId('seti'),
    customer,
    paymentMethod: pm?.id ?? null,
    paymentMethodTypes: cardTypesOnly(p),
    description: p.string('description') ?? null,
    metadata: mergeMetadata(null, p.metadata()),
    usage: p.enum('usage', ['off_session', 'on_session']) ?? 'off_session',
    now: ctx.now(),
  });
  ctx.state.setupIntents.set(si.id, si);
  ctx.events.emit('setup_intent.created', si);
  if (confirm) confirmWith(ctx, si, p);
  return render(ctx, si, expandOf(p));
};

const fromPath = (ctx: ApiContext, req: ApiRequest): Stripe.SetupIntent => must(ctx.state.setupIntents, pathParam(req, 'id'), 'setupintent');

const retrieve = (ctx: ApiContext, req: ApiRequest): unknown => render(ctx, fromPath(ctx, req), expandOf(Params.strict(req.params, ['expand', 'client_secret'])));

const update = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['customer', 'payment_method', 'payment_method_types', 'description', 'metadata', 'expand']);
  const si = fromPath(ctx, req);
  if (si.status === 'succeeded' || si.status === 'canceled')
    throw invalidRequest(`You cannot update this SetupIntent because it has a status of ${si.status}.`, { code: 'setup_intent_unexpected_state' });
  if (p.has('customer')) si.customer = customerParam(ctx, p);
  const pm = p.nonEmptyString('payment_method');
  if (pm) {
    si.payment_method = paymentMethodParam(ctx, pm, 'payment_method').id;
    si.status = 'requires_confirmation';
  }
  if (p.has('payment_method_types')) si.payment_method_types = cardTypesOnly(p);
  if (p.has('description')) si.description = p.string('description') || null;
  si.metadata = mergeMetadata(si.metadata, p.metadata());
  return render(ctx, si, expandOf(p));
};

const confirm = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['payment_method', 'return_url', 'use_stripe_sdk', 'mandate_data', 'client_secret', 'expand']);
  const si = fromPath(ctx, req);
  confirmWith(ctx, si, p);
  return render(ctx, si, expandOf(p));
};

const cancel = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['cancellation_reason', 'expand']);
  const si = fromPath(ctx, req);
  cancelSetupIntent(ctx, si, p.enum('cancellation_reason', ['abandoned', 'duplicate', 'requested_by_customer']) ?? null);
  return render(ctx, si, expandOf(p));
};

const list = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, [...LIST_PARAMS, 'customer', 'payment_method', 'created']);
  const customer = p.string('customer');
  const pm = p.string('payment_method');
  const created = p.range('created');
  const items = newestFirst(ctx.state.setupIntents).filter(
    (si) => (!customer || si.customer === customer) && (!pm || si.payment_method === pm) && inRange(si.created, created),
  );
  return render(ctx, toList(items, p, '/v1/setup_intents'), expandOf(p));
};

export const setupIntentRoutes: readonly Route[] = [
  { method: 'POST', path: '/v1/setup_intents', handler: create },
  { method: 'GET', path: '/v1/setup_intents', handler: list },
  { method: 'GET', path: '/v1/setup_intents/:id', handler: retrieve },
  { method: 'POST', path: '/v1/setup_intents/:id', handler: update },
  { method: 'POST', path: '/v1/setup_intents/:id/confirm', handler: confirm },
  { method: 'POST', path: '/v1/setup_intents/:id/cancel', handler: cancel },
];
