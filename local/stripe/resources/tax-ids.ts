import type Stripe from 'stripe';
import { TAX_ID_TYPES, type TaxIdType, validTaxId } from '../billing/tax-id-formats';
import { taxIdsOf } from '../billing/tax';
import { invalidRequest, parameterMissing, resourceMissing } from '../errors';
import { must } from '../store';
import { newId } from '../ids';
import { LIST_PARAMS, toList } from '../lists';
import { newTaxId, taxIdCustomerOf } from '../objects/tax-id';
import { type ApiContext, type ApiRequest, expandOf, Params, pathParam, render, type Route } from './context';

/** The customer in the URL (`/v1/customers/:id/tax_ids`); a deleted one is 404. */
const customerFromPath = (ctx: ApiContext, req: ApiRequest): Stripe.Customer => must(ctx.state.customers, pathParam(req, 'id'), 'customer');

export interface TaxIdInput {
  readonly type: TaxIdType;
  readonly value: string;
}

/**
 * `type` and `value` of a tax ID, checked as Stripe checks them when it is added: a type it
 * knows (else 400 on `type`, "Invalid type: must be one of ...") and a value in that type's
 * format (else 400 `tax_id_invalid` on `value`, "Invalid value for eu_vat.").
 */
export const taxIdInput = (p: Params): TaxIdInput => {
  const type = p.enum('type', TAX_ID_TYPES);
  if (type === undefined) throw parameterMissing(p.name('type'));
  const value = p.requiredString('value').trim();
  if (!validTaxId(type, value)) throw invalidRequest(`Invalid value for ${type}.`, { param: p.name('value'), code: 'tax_id_invalid' });
  return { type, value };
};

/** Adds a tax ID to a customer (`customer.tax_id.created`). */
export const addTaxId = (ctx: ApiContext, customer: Stripe.Customer, input: TaxIdInput): Stripe.TaxId => {
  const taxId = newTaxId({ id: newId('txi'), customer: customer.id, type: input.type, value: input.value, now: ctx.now() });
  ctx.state.taxIds.set(taxId.id, taxId);
  ctx.events.emit('customer.tax_id.created', taxId);
  return taxId;
};

/** The customer's tax IDs as the includable `customer.tax_ids` list, newest first. */
export const taxIdList = (ctx: ApiContext, customer: string): Stripe.ApiList<Stripe.TaxId> => ({
  object: 'list',
  data: taxIdsOf(ctx.state, customer).reverse(),
  has_more: false,
  url: `/v1/customers/${customer}/tax_ids`,
});

const taxIdFromPath = (ctx: ApiContext, req: ApiRequest, customer: Stripe.Customer): Stripe.TaxId => {
  const id = pathParam(req, 'tax_id');
  const taxId = ctx.state.taxIds.get(id);
  if (!taxId || taxIdCustomerOf(taxId) !== customer.id) throw resourceMissing('tax_id', id);
  return taxId;
};

const create = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['type', 'value', 'expand']);
  const input = taxIdInput(p);
  return render(ctx, addTaxId(ctx, customerFromPath(ctx, req), input), expandOf(p));
};

const list = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, [...LIST_PARAMS]);
  const customer = customerFromPath(ctx, req);
  return render(ctx, toList(taxIdsOf(ctx.state, customer.id).reverse(), p, `/v1/customers/${customer.id}/tax_ids`), expandOf(p));
};

const retrieve = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['expand']);
  return render(ctx, taxIdFromPath(ctx, req, customerFromPath(ctx, req)), expandOf(p));
};

/** Invoices finalized before keep the tax ID in `customer_tax_ids`; drafts drop it when next computed. */
const remove = (ctx: ApiContext, req: ApiRequest): unknown => {
  Params.strict(req.params, []);
  const taxId = taxIdFromPath(ctx, req, customerFromPath(ctx, req));
  ctx.state.taxIds.delete(taxId.id);
  ctx.events.emit('customer.tax_id.deleted', taxId);
  return { id: taxId.id, object: 'tax_id', deleted: true };
};

export const taxIdRoutes: readonly Route[] = [
  { method: 'POST', path: '/v1/customers/:id/tax_ids', handler: create },
  { method: 'GET', path: '/v1/customers/:id/tax_ids', handler: list },
  { method: 'GET', path: '/v1/customers/:id/tax_ids/:tax_id', handler: retrieve },
  { method: 'DELETE', path: '/v1/customers/:id/tax_ids/:tax_id', handler: remove },
];
