import type Stripe from 'stripe';
import { clone } from '../clone';
import { invalidRequest, parameterMissing } from '../errors';
import { mergeMetadata } from '../http/params';
import { newId } from '../ids';
import { inRange, LIST_PARAMS, newestFirst, toList } from '../lists';
import { newTaxRate } from '../objects/tax-rate';
import { must } from '../store';
import { type ApiContext, type ApiRequest, expandOf, Params, pathParam, render, type Route } from './context';
import { decimalParam } from './decimal-param';

const TAX_TYPES: readonly Stripe.TaxRate.TaxType[] = [
  'amusement_tax', 'communications_tax', 'gst', 'hst', 'igst', 'jct', 'lease_tax', 'pst', 'qst', 'retail_delivery_fee', 'rst', 'sales_tax', 'service_tax', 'vat',
];

const country = (p: Params): string | undefined => {
  const v = p.nonEmptyString('country');
  if (v !== undefined && !/^[A-Za-z]{2}$/.test(v)) throw invalidRequest(`Invalid country: ${v}`, { param: 'country' });
  return v?.toUpperCase();
};

const create = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, [
    'display_name', 'percentage', 'inclusive', 'active', 'country', 'state', 'jurisdiction', 'description', 'tax_type', 'metadata', 'expand',
  ]);
  const displayName = p.requiredString('display_name');
  const percentage = decimalParam(p, 'percentage', { min: 0, max: 100 });
  if (percentage === undefined) throw parameterMissing('percentage');
  const inclusive = p.bool('inclusive');
  if (inclusive === undefined) throw parameterMissing('inclusive');
  const rate = newTaxRate({
    id: newId('txr'),
    displayName,
    percentage,
    inclusive,
    active: p.bool('active') ?? true,
    country: country(p) ?? null,
    state: p.string('state') || null,
    jurisdiction: p.string('jurisdiction') || null,
    description: p.string('description') || null,
    taxType: p.enum('tax_type', TAX_TYPES) ?? null,
    metadata: p.metadata(),
    now: ctx.now(),
  });
  ctx.state.taxRates.set(rate.id, rate);
  ctx.events.emit('tax_rate.created', rate);
  return render(ctx, rate, expandOf(p));
};

const retrieve = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['expand']);
  return render(ctx, must(ctx.state.taxRates, pathParam(req, 'id'), 'tax rate'), expandOf(p));
};

/** The rate itself (`percentage`, `inclusive`) cannot change once created, as in Stripe. */
const update = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['display_name', 'active', 'country', 'state', 'jurisdiction', 'description', 'tax_type', 'metadata', 'expand']);
  const rate = must(ctx.state.taxRates, pathParam(req, 'id'), 'tax rate');
  const before = clone(rate);
  rate.display_name = p.nonEmptyString('display_name') ?? rate.display_name;
  rate.active = p.bool('active') ?? rate.active;
  if (p.has('country')) rate.country = country(p) ?? null;
  if (p.has('state')) rate.state = p.string('state') || null;
  if (p.has('jurisdiction')) rate.jurisdiction = p.string('jurisdiction') || null;
  if (p.has('description')) rate.description = p.string('description') || null;
  if (p.has('tax_type')) rate.tax_type = p.enum('tax_type', TAX_TYPES) ?? null;
  rate.metadata = mergeMetadata(rate.metadata, p.metadata());
  ctx.events.emitUpdated('tax_rate.updated', rate, before);
  return render(ctx, rate, expandOf(p));
};

const list = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, [...LIST_PARAMS, 'active', 'inclusive', 'created']);
  const active = p.bool('active');
  const inclusive = p.bool('inclusive');
  const created = p.range('created');
  const items = newestFirst(ctx.state.taxRates).filter(
    (r) => (active === undefined || r.active === active) && (inclusive === undefined || r.inclusive === inclusive) && inRange(r.created, created),
  );
  return render(ctx, toList(items, p, '/v1/tax_rates'), expandOf(p));
};

export const taxRateRoutes: readonly Route[] = [
  { method: 'POST', path: '/v1/tax_rates', handler: create },
  { method: 'GET', path: '/v1/tax_rates', handler: list },
  { method: 'GET', path: '/v1/tax_rates/:id', handler: retrieve },
  { method: 'POST', path: '/v1/tax_rates/:id', handler: update },
];
