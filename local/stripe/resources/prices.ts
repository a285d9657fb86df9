import type Stripe from 'stripe';
import { clone } from '../clone';
import { invalidRequest, parameterMissing } from '../errors';
import { newId } from '../ids';
import { LIST_PARAMS, newestFirst, toList } from '../lists';
import { newPrice, newProduct, productIdOf, type RecurringInterval } from '../objects/catalog';
import { mergeMetadata } from '../http/params';
import { must } from '../store';
import { type ApiContext, type ApiRequest, expandOf, Params, pathParam, render, type Route } from './context';

const INTERVALS: readonly RecurringInterval[] = ['day', 'week', 'month', 'year'];
const TAX_BEHAVIORS: readonly Stripe.Price.TaxBehavior[] = ['unspecified', 'exclusive', 'inclusive'];

export const currencyParam = (p: Params, key = 'currency'): string | undefined => {
  const v = p.nonEmptyString(key)?.toLowerCase();
  if (v !== undefined && !/^[a-z]{3}$/.test(v)) throw invalidRequest(`Invalid currency: ${v}`, { param: p.name(key) });
  return v;
};

/** A lookup key is unique; `transfer_lookup_key` moves it from the price holding it. */
const claimLookupKey = (ctx: ApiContext, key: string, transfer: boolean, self: string | null): void => {
  for (const other of ctx.state.prices.values()) {
    if (other.id === self || other.lookup_key !== key) continue;
    if (!transfer)
      throw invalidRequest(
        `A price (\`${other.id}\`) already uses that lookup key. Pass \`transfer_lookup_key=true\` to transfer the lookup key to this price.`,
        { param: 'lookup_key' },
      );
    const before = clone(other);
    other.lookup_key = null;
    ctx.events.emit('price.updated', other, before);
  }
};

const create = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, [
    'product',
    'product_data',
    'currency',
    'unit_amount',
    'recurring',
    'lookup_key',
    'transfer_lookup_key',
    'nickname',
    'active',
    'metadata',
    'tax_behavior',
    'expand',
  ]);
  const currency = currencyParam(p);
  if (!currency) throw parameterMissing('currency');
  const unitAmount = p.int('unit_amount', { min: 0, max: 99_999_999 });
  if (unitAmount === undefined) throw parameterMissing('unit_amount');
  const taxBehavior = p.enum('tax_behavior', TAX_BEHAVIORS) ?? 'unspecified';
  const recurring = p.object('recurring', ['interval', 'interval_count']);
  const interval = recurring?.enum('interval', INTERVALS);
  if (recurring && !interval) throw parameterMissing('recurring[interval]');
  const intervalCount = recurring?.int('interval_count', { min: 1, max: interval === 'year' ? 3 : interval === 'month' ? 36 : 156 }) ?? 1;
  const lookupKey = p.nonEmptyString('lookup_key') ?? null;
  const transfer = p.bool('transfer_lookup_key') ?? false;

  let productId = p.nonEmptyString('product');
  const productData = p.object('product_data', ['name', 'metadata', 'id']);
  if (productId && productData) throw invalidRequest('You may only specify one of these parameters: product, product_data.');
  if (!productId && !productData) throw parameterMissing('product');
  if (productId) must(ctx.state.products, productId, 'product', 'product');
  const newProductName = productData?.requiredString('name');
  const newProductMetadata = productData?.metadata();
  const newProductId = productData?.nonEmptyString('id') ?? newId('prod');
  const nickname = p.string('nickname') ?? null;
  const active = p.bool('active') ?? true;
  const metadata = p.metadata();

  if (lookupKey) claimLookupKey(ctx, lookupKey, transfer, null);
  if (!productId && newProductName !== undefined) {
    const product = newProduct({ id: newProductId, name: newProductName, description: null, active: true, metadata: newProductMetadata, now: ctx.now() });
    ctx.state.products.set(product.id, product);
    ctx.events.emit('product.created', product);
    productId = product.id;
  }
  if (!productId) throw parameterMissing('product');
  const price = newPrice({
    id: newId('price'),
    product: productId,
    currency,
    unitAmount,
    recurring: interval ? { interval, intervalCount } : null,
    lookupKey,
    nickname,
    active,
    metadata,
    now: ctx.now(),
  });
  price.tax_behavior = taxBehavior;
  ctx.state.prices.set(price.id, price);
  ctx.events.emit('price.created', price);
  return render(ctx, price, expandOf(p));
};

const retrieve = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['expand']);
  return render(ctx, must(ctx.state.prices, pathParam(req, 'id'), 'price'), expandOf(p));
};

const update = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['active', 'metadata', 'lookup_key', 'transfer_lookup_key', 'nickname', 'tax_behavior', 'expand']);
  const price = must(ctx.state.prices, pathParam(req, 'id'), 'price');
  const taxBehavior = p.enum('tax_behavior', TAX_BEHAVIORS);
  // Once inclusive or exclusive, a price's tax behavior is fixed (Stripe: "it cannot be changed").
  if (taxBehavior !== undefined && price.tax_behavior !== 'unspecified' && taxBehavior !== price.tax_behavior)
    throw invalidRequest(`The tax_behavior of price ${price.id} is already ${String(price.tax_behavior)}; once it is inclusive or exclusive it cannot be changed.`, {
      param: 'tax_behavior',
    });
  const lookupKey = p.string('lookup_key');
  if (lookupKey) claimLookupKey(ctx, lookupKey, p.bool('transfer_lookup_key') ?? false, price.id);
  const before = clone(price);
  price.active = p.bool('active') ?? price.active;
  price.metadata = mergeMetadata(price.metadata, p.metadata());
  if (lookupKey !== undefined) price.lookup_key = lookupKey === '' ? null : lookupKey;
  if (p.has('nickname')) price.nickname = p.string('nickname') || null;
  if (taxBehavior !== undefined) price.tax_behavior = taxBehavior;
  ctx.events.emitUpdated('price.updated', price, before);
  return render(ctx, price, expandOf(p));
};

const list = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, [...LIST_PARAMS, 'lookup_keys', 'active', 'product', 'currency', 'type', 'created']);
  const keys = p.stringList('lookup_keys');
  const active = p.bool('active');
  const product = p.nonEmptyString('product');
  const currency = currencyParam(p);
  const type = p.enum('type', ['one_time', 'recurring']);
  const match = (x: Stripe.Price): boolean =>
    (!keys || (x.lookup_key !== null && keys.includes(x.lookup_key))) &&
    (active === undefined || x.active === active) &&
    (!product || productIdOf(x) === product) &&
    (!currency || x.currency === currency) &&
    (!type || x.type === type);
  return render(ctx, toList(newestFirst(ctx.state.prices).filter(match), p, '/v1/prices'), expandOf(p));
};

export const priceRoutes: readonly Route[] = [
  { method: 'POST', path: '/v1/prices', handler: create },
  { method: 'GET', path: '/v1/prices', handler: list },
  { method: 'GET', path: '/v1/prices/:id', handler: retrieve },
  { method: 'POST', path: '/v1/prices/:id', handler: update },
];
