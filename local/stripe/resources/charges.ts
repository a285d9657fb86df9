import type Stripe from 'stripe';
import { clone } from '../clone';
import { refundCharge } from '../billing/payments';
import { invalidRequest, parameterMissing } from '../errors';
import { mergeMetadata } from '../http/params';
import { inRange, LIST_PARAMS, newestFirst, toList } from '../lists';
import { must } from '../store';
import { type ApiContext, type ApiRequest, expandOf, Params, pathParam, render, type Route } from './context';

const chargeFromPath = (ctx: ApiContext, req: ApiRequest): Stripe.Charge => must(ctx.state.charges, pathParam(req, 'id'), 'charge');

const retrieveCharge = (ctx: ApiContext, req: ApiRequest): unknown => render(ctx, chargeFromPath(ctx, req), expandOf(Params.strict(req.params, ['expand'])));

const updateCharge = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['description', 'metadata', 'receipt_email', 'expand']);
  const charge = chargeFromPath(ctx, req);
  const before = clone(charge);
  if (p.has('description')) charge.description = p.string('description') || null;
  if (p.has('receipt_email')) charge.receipt_email = p.string('receipt_email') || null;
  charge.metadata = mergeMetadata(charge.metadata, p.metadata());
  ctx.events.emitUpdated('charge.updated', charge, before);
  return render(ctx, charge, expandOf(p));
};

const listCharges = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, [...LIST_PARAMS, 'customer', 'payment_intent', 'created']);
  const customer = p.string('customer');
  const pi = p.string('payment_intent');
  const created = p.range('created');
  const items = newestFirst(ctx.state.charges).filter(
    (c) => (!customer || c.customer === customer) && (!pi || c.payment_intent === pi) && inRange(c.created, created),
  );
  return render(ctx, toList(items, p, '/v1/charges'), expandOf(p));
};

const REASONS = ['duplicate', 'fraudulent', 'requested_by_customer'] as const;

/** `POST /v1/refunds` with `charge` or `payment_intent` (its latest charge), optional `amount`. */
const createRefund = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['charge', 'payment_intent', 'amount', 'reason', 'metadata', 'expand']);
  const chargeId = p.nonEmptyString('charge');
  const piId = p.nonEmptyString('payment_intent');
  if (chargeId && piId) throw invalidRequest('You may only specify one of these parameters: charge, payment_intent.', { code: 'parameters_exclusive' });
  let charge: Stripe.Charge;
  if (chargeId) charge = must(ctx.state.charges, chargeId, 'charge', 'charge');
  else if (piId) {
    const pi = must(ctx.state.paymentIntents, piId, 'payment_intent', 'payment_intent');
    const latest = typeof pi.latest_charge === 'string' ? pi.latest_charge : (pi.latest_charge?.id ?? null);
    const found = latest ? ctx.state.charges.get(latest) : undefined;
    if (!found || pi.status !== 'succeeded')
      throw invalidRequest(`This PaymentIntent (${pi.id}) does not have a successful charge to refund.`, { param: 'payment_intent', code: 'charge_not_refundable' });
    charge = found;
  } else throw parameterMissing('charge');
  const refund = refundCharge(ctx, charge, {
    ...(p.has('amount') ? { amount: p.requiredInt('amount', { min: 1 }) } : {}),
    reason: p.enum('reason', REASONS) ?? null,
    metadata: mergeMetadata(null, p.metadata()),
  });
  return render(ctx, refund, expandOf(p));
};

const refundFromPath = (ctx: ApiContext, req: ApiRequest): Stripe.Refund => must(ctx.state.refunds, pathParam(req, 'id'), 'refund');

const retrieveRefund = (ctx: ApiContext, req: ApiRequest): unknown => render(ctx, refundFromPath(ctx, req), expandOf(Params.strict(req.params, ['expand'])));

/** Only `metadata` can change; Stripe announces it as `refund.updated` and `charge.refund.updated`. */
const updateRefund = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['metadata', 'expand']);
  const refund = refundFromPath(ctx, req);
  const before = clone(refund);
  refund.metadata = mergeMetadata(refund.metadata, p.metadata());
  ctx.events.emitUpdated('refund.updated', refund, before);
  ctx.events.emitUpdated('charge.refund.updated', refund, before);
  return render(ctx, refund, expandOf(p));
};

const listRefunds = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, [...LIST_PARAMS, 'charge', 'payment_intent', 'created']);
  const charge = p.string('charge');
  const pi = p.string('payment_intent');
  const created = p.range('created');
  const items = newestFirst(ctx.state.refunds).filter(
    (r) => (!charge || r.charge === charge) && (!pi || r.payment_intent === pi) && inRange(r.created, created),
  );
  return render(ctx, toList(items, p, '/v1/refunds'), expandOf(p));
};

export const chargeRoutes: readonly Route[] = [
  { method: 'GET', path: '/v1/charges', handler: listCharges },
  { method: 'GET', path: '/v1/charges/:id', handler: retrieveCharge },
  { method: 'POST', path: '/v1/charges/:id', handler: updateCharge },
  { method: 'POST', path: '/v1/refunds', handler: createRefund },
  { method: 'GET', path: '/v1/refunds', handler: listRefunds },
  { method: 'GET', path: '/v1/refunds/:id', handler: retrieveRefund },
  { method: 'POST', path: '/v1/refunds/:id', handler: updateRefund },
];
