import type Stripe from 'stripe';
import { clone } from '../clone';
import { updateCustomer } from '../billing/context';
import { invalidRequest } from '../errors';
import { mergeMetadata } from '../http/params';
import { newId } from '../ids';
import { LIST_PARAMS, toList } from '../lists';
import { newCardSource } from '../objects/charge';
import { TEST_CARDS } from '../objects/payment-method';
import { must } from '../store';
import { type ApiContext, type ApiRequest, expandOf, Params, pathParam, render, type Route } from './context';
import { CARD_TOKENS } from './payment-methods';

/**
 * Attaches a legacy card source made from a test token (`tok_visa`) to a customer; the first
 * one becomes `default_source`, as in Stripe.
 */
export const addCardSource = (
  ctx: ApiContext,
  customer: Stripe.Customer,
  token: string,
  options: { param?: string; newCustomer?: boolean } = {},
): Stripe.Card => {
  const param = options.param ?? 'source';
  const card = TEST_CARDS[CARD_TOKENS[token] ?? ''];
  if (!card)
    throw invalidRequest(`No such token: '${token}'. The local Stripe endpoint knows ${Object.keys(CARD_TOKENS).join(', ')}.`, {
      code: 'resource_missing',
      param,
    });
  const source = newCardSource({ id: newId('card'), customer: customer.id, brand: card.brand, last4: card.last4, now: ctx.now() });
  ctx.state.sources.set(source.id, source);
  ctx.events.emit('customer.source.created', source);
  // A customer being created shows its source in `customer.created`, not in an update.
  if (customer.default_source === null && options.newCustomer) customer.default_source = source.id;
  else if (customer.default_source === null)
    updateCustomer(ctx, customer, (c) => {
      c.default_source = source.id;
    });
  return source;
};

const customerOf = (ctx: ApiContext, req: ApiRequest): Stripe.Customer => must(ctx.state.customers, pathParam(req, 'id'), 'customer');

const sourceOf = (ctx: ApiContext, req: ApiRequest, customer: Stripe.Customer): Stripe.Card => {
  const id = pathParam(req, 'source_id');
  const source = ctx.state.sources.get(id);
  if (!source || source.customer !== customer.id) throw invalidRequest(`Customer ${customer.id} does not have card with ID ${id}`, { code: 'resource_missing', param: 'id', status: 404 });
  return source;
};

const create = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['source', 'metadata', 'expand']);
  const source = addCardSource(ctx, customerOf(ctx, req), p.requiredString('source'));
  source.metadata = mergeMetadata(source.metadata, p.metadata());
  return render(ctx, source, expandOf(p));
};

const retrieve = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['expand']);
  return render(ctx, sourceOf(ctx, req, customerOf(ctx, req)), expandOf(p));
};

const ADDRESS = ['address_city', 'address_country', 'address_line1', 'address_line2', 'address_state', 'address_zip'] as const;

const update = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, [...ADDRESS, 'name', 'exp_month', 'exp_year', 'metadata', 'expand']);
  const source = sourceOf(ctx, req, customerOf(ctx, req));
  const before = clone(source);
  for (const key of ADDRESS) if (p.has(key)) source[key] = p.string(key) || null;
  if (p.has('name')) source.name = p.string('name') || null;
  const month = p.int('exp_month', { min: 1, max: 12 });
  const year = p.int('exp_year', { min: 2000, max: 2100 });
  if (month !== undefined) source.exp_month = month;
  if (year !== undefined) source.exp_year = year;
  source.metadata = mergeMetadata(source.metadata, p.metadata());
  ctx.events.emitUpdated('customer.source.updated', source, before);
  return render(ctx, source, expandOf(p));
};

const remove = (ctx: ApiContext, req: ApiRequest): unknown => {
  Params.strict(req.params, ['expand']);
  const customer = customerOf(ctx, req);
  const source = sourceOf(ctx, req, customer);
  ctx.state.sources.delete(source.id);
  ctx.events.emit('customer.source.deleted', source);
  if (customer.default_source === source.id)
    updateCustomer(ctx, customer, (c) => {
      c.default_source = [...ctx.state.sources.values()].find((s) => s.customer === customer.id)?.id ?? null;
    });
  return { id: source.id, object: 'card', deleted: true };
};

const list = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, [...LIST_PARAMS, 'object']);
  const customer = customerOf(ctx, req);
  const object = p.string('object');
  const items = [...ctx.state.sources.values()].reverse().filter((s) => s.customer === customer.id && (!object || object === 'card'));
  return render(ctx, toList(items, p, `/v1/customers/${customer.id}/sources`), expandOf(p));
};

export const sourceRoutes: readonly Route[] = [
  { method: 'POST', path: '/v1/customers/:id/sources', handler: create },
  { method: 'GET', path: '/v1/customers/:id/sources', handler: list },
  { method: 'GET', path: '/v1/customers/:id/sources/:source_id', handler: retrieve },
  { method: 'POST', path: '/v1/customers/:id/sources/:source_id', handler: update },
  { method: 'DELETE', path: '/v1/customers/:id/sources/:source_id', handler: remove },
];
