import { clone } from '../clone';
import { invalidRequest } from '../errors';
import { newId } from '../ids';
import { LIST_PARAMS, newestFirst, toList } from '../lists';
import { newProduct, productIdOf } from '../objects/catalog';
import { mergeMetadata } from '../http/params';
import { must } from '../store';
import { type ApiContext, type ApiRequest, expandOf, Params, pathParam, render, type Route } from './context';

const create = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['id', 'name', 'description', 'active', 'metadata', 'expand']);
  const id = p.nonEmptyString('id') ?? newId('prod');
  if (ctx.state.products.has(id)) throw invalidRequest(`Product already exists.`, { code: 'resource_already_exists', param: 'id' });
  const product = newProduct({
    id,
    name: p.requiredString('name'),
    description: p.string('description') ?? null,
    active: p.bool('active') ?? true,
    metadata: p.metadata(),
    now: ctx.now(),
  });
  ctx.state.products.set(id, product);
  ctx.events.emit('product.created', product);
  return render(ctx, product, expandOf(p));
};

const retrieve = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['expand']);
  return render(ctx, must(ctx.state.products, pathParam(req, 'id'), 'product'), expandOf(p));
};

const update = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['name', 'description', 'active', 'metadata', 'expand']);
  const product = must(ctx.state.products, pathParam(req, 'id'), 'product');
  const before = clone(product);
  product.name = p.nonEmptyString('name') ?? product.name;
  if (p.has('description')) product.description = p.string('description') || null;
  product.active = p.bool('active') ?? product.active;
  product.metadata = mergeMetadata(product.metadata, p.metadata());
  product.updated = ctx.now();
  ctx.events.emitUpdated('product.updated', product, before);
  return render(ctx, product, expandOf(p));
};

const list = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, [...LIST_PARAMS, 'active', 'ids', 'created']);
  const active = p.bool('active');
  const ids = p.stringList('ids');
  const items = newestFirst(ctx.state.products).filter((x) => (active === undefined || x.active === active) && (!ids || ids.includes(x.id)));
  return render(ctx, toList(items, p, '/v1/products'), expandOf(p));
};

/** Stripe deletes a product only while no price refers to it (archiving the prices is not enough). */
const remove = (ctx: ApiContext, req: ApiRequest): unknown => {
  Params.strict(req.params, []);
  const product = must(ctx.state.products, pathParam(req, 'id'), 'product');
  if ([...ctx.state.prices.values()].some((price) => productIdOf(price) === product.id))
    throw invalidRequest('This product cannot be deleted because it has one or more user-created prices.');
  ctx.state.products.delete(product.id);
  ctx.events.emit('product.deleted', product);
  return { id: product.id, object: 'product', deleted: true };
};

export const productRoutes: readonly Route[] = [
  { method: 'POST', path: '/v1/products', handler: create },
  { method: 'GET', path: '/v1/products', handler: list },
  { method: 'GET', path: '/v1/products/:id', handler: retrieve },
  { method: 'POST', path: '/v1/products/:id', handler: update },
  { method: 'DELETE', path: '/v1/products/:id', handler: remove },
];
