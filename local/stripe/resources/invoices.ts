import type Stripe from 'stripe';
import { attemptPayment, finalizationFailure, markPaid, markUncollectible, voidInvoice } from '../billing/collection';
import { updateInvoice } from '../billing/context';
import { adoptCurrency, createInvoice, pendingItems, requireDraft } from '../billing/invoicing';
import { previewInvoice } from '../billing/preview';
import { advanceFinalized, finalizeForCollection, sendInvoice } from '../billing/send-invoice';
import type { ProrationBehavior } from '../billing/subscriptions';
import { requireTaxLocation } from '../billing/tax';
import { DRAFT_FINALIZE_DELAY, SECONDS } from '../config';
import { invalidRequest, parameterInvalid, parameterMissing, resourceMissing } from '../errors';
import { mergeMetadata } from '../http/params';
import { inRange, LIST_PARAMS, newestFirst, toList } from '../lists';
import { subscriptionIdOf } from '../objects/invoice';
import { customerIdOf, itemOf } from '../objects/subscription';
import { must } from '../store';
import { type ApiContext, type ApiRequest, expandOf, Params, pathParam, presentInvoice, render, type Route } from './context';
import { automaticTaxParam } from './automatic-tax-param';
import { requireAttached } from './payment-methods';
import { currencyParam } from './prices';

const invoiceFromPath = (ctx: ApiContext, req: ApiRequest): Stripe.Invoice => must(ctx.state.invoices, pathParam(req, 'id'), 'invoice');

const show = (ctx: ApiContext, invoice: Stripe.Invoice, p: Params): unknown => render(ctx, presentInvoice(invoice), expandOf(p));

const create = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, [
    'customer',
    'subscription',
    'pending_invoice_items_behavior',
    'auto_advance',
    'collection_method',
    'days_until_due',
    'due_date',
    'currency',
    'description',
    'metadata',
    'default_payment_method',
    'automatic_tax',
    'expand',
  ]);
  const customerId = p.requiredString('customer');
  const automaticTax = automaticTaxParam(p) ?? false;
  if (ctx.state.deletedCustomers.has(customerId)) throw resourceMissing('customer', customerId, 'customer');
  const customer = must(ctx.state.customers, customerId, 'customer', 'customer');
  const terms = collectionTerms(p, ctx.now());
  const behavior = p.enum('pending_invoice_items_behavior', ['include', 'exclude']) ?? 'exclude';
  const subscriptionId = p.nonEmptyString('subscription');
  const sub = subscriptionId ? must(ctx.state.subscriptions, subscriptionId, 'subscription', 'subscription') : null;
  if (sub && customerIdOf(sub.customer) !== customer.id)
    throw invalidRequest(`The subscription ${sub.id} does not belong to customer ${customer.id}.`, { param: 'subscription' });
  const currency = currencyParam(p) ?? sub?.currency ?? customer.currency ?? 'usd';
  if (customer.currency && currency !== customer.currency)
    throw invalidRequest(`You cannot combine currencies on a single customer. This customer has had a subscription, coupon, or invoice item with currency ${customer.currency}`, {
      param: 'currency',
    });
  const pm = p.nonEmptyString('default_payment_method');
  const defaultPaymentMethod = pm ? requireAttached(ctx, pm, customer.id, 'default_payment_method') : null;
  const autoAdvance = p.bool('auto_advance') ?? false;
  if (automaticTax) requireTaxLocation(customer);
  const now = ctx.now();
  const sweep =
    behavior === 'include' ? pendingItems(ctx, customer.id, currency, { subscription: sub?.id ?? null, customerLevel: sub === null }) : [];
  adoptCurrency(ctx, customer, currency);
  const invoice = createInvoice(ctx, {
    customer,
    subscription: sub,
    billingReason: 'manual',
    currency,
    periodStart: now,
    periodEnd: now,
    autoAdvance,
    finalizesAt: autoAdvance ? now + DRAFT_FINALIZE_DELAY : null,
    description: p.string('description') ?? null,
    metadata: mergeMetadata(null, p.metadata()),
    defaultPaymentMethod,
    collectionMethod: terms.method,
    dueDate: terms.dueDate,
    sweep,
    lines: [],
    automaticTax,
  });
  if (terms.daysUntilDue !== null) ctx.state.invoiceDaysUntilDue.set(invoice.id, terms.daysUntilDue);
  return show(ctx, invoice, p);
};

/** Stripe's default payment terms of a `send_invoice` invoice given neither `days_until_due` nor `due_date` (account invoice settings). */
const DEFAULT_DAYS_UNTIL_DUE = 30;

/**
 * `collection_method`, `days_until_due`, `due_date` of an invoice create. A send_invoice draft
 * shows the due date as if finalized now; `days_until_due` moves it to finalization + days.
 */
const collectionTerms = (
  p: Params,
  now: number,
): { method: Stripe.Invoice.CollectionMethod; daysUntilDue: number | null; dueDate: number | null } => {
  const method = p.enum('collection_method', ['charge_automatically', 'send_invoice']) ?? 'charge_automatically';
  const days = p.int('days_until_due', { min: 0, max: 10_000 });
  const dueDate = p.int('due_date', { min: 0 });
  if (method === 'charge_automatically') {
    const given = days !== undefined ? 'days_until_due' : dueDate !== undefined ? 'due_date' : null;
    if (given) throw invalidRequest(`You can only set \`${given}\` when \`collection_method\` is \`send_invoice\`.`, { param: given });
    return { method, daysUntilDue: null, dueDate: null };
  }
  if (days !== undefined && dueDate !== undefined)
    throw invalidRequest('You may only specify one of these parameters: days_until_due, due_date.', { code: 'parameters_exclusive' });
  if (dueDate !== undefined) {
    if (dueDate <= now) throw parameterInvalid('due_date', 'Invalid timestamp: must be an integer Unix timestamp in the future.');
    return { method, daysUntilDue: null, dueDate };
  }
  const daysUntilDue = days ?? DEFAULT_DAYS_UNTIL_DUE;
  return { method, daysUntilDue, dueDate: now + daysUntilDue * SECONDS.day };
};

const retrieve = (ctx: ApiContext, req: ApiRequest): unknown => show(ctx, invoiceFromPath(ctx, req), Params.strict(req.params, ['expand']));

const update = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['description', 'metadata', 'auto_advance', 'default_payment_method', 'expand']);
  const invoice = invoiceFromPath(ctx, req);
  const finalized = invoice.status !== 'draft';
  if (finalized && (p.has('description') || p.has('default_payment_method')) && invoice.status !== 'open')
    throw invalidRequest(`You can only update the metadata of a ${invoice.status ?? 'deleted'} invoice.`, { code: 'invoice_not_editable' });
  const pm = p.string('default_payment_method');
  const resolved = pm ? requireAttached(ctx, pm, customerIdOf(invoice.customer ?? ''), 'default_payment_method') : pm;
  const autoAdvance = p.bool('auto_advance');
  const metadata = p.metadata();
  updateInvoice(ctx, invoice, (inv) => {
    if (p.has('description')) inv.description = p.string('description') || null;
    if (metadata !== undefined) inv.metadata = mergeMetadata(inv.metadata, metadata);
    if (resolved !== undefined) inv.default_payment_method = resolved || null;
    if (autoAdvance !== undefined) {
      inv.auto_advance = autoAdvance;
      if (inv.status === 'draft') inv.automatically_finalizes_at = autoAdvance ? ctx.now() + DRAFT_FINALIZE_DELAY : null;
      if (inv.status === 'open' && inv.collection_method === 'charge_automatically')
        inv.next_payment_attempt = autoAdvance ? (inv.next_payment_attempt ?? ctx.now()) : null;
    }
  });
  return show(ctx, invoice, p);
};

/** Only a one-off draft can be deleted; its pending items go back to pending. */
const remove = (ctx: ApiContext, req: ApiRequest): unknown => {
  Params.strict(req.params, []);
  const invoice = invoiceFromPath(ctx, req);
  requireDraft(invoice, 'delete');
  if (invoice.billing_reason !== 'manual')
    throw invalidRequest('You can only delete one-off draft invoices; an invoice for a subscription must be voided.', { code: 'invoice_not_editable' });
  for (const ii of ctx.state.invoiceItems.values()) if (ii.invoice === invoice.id) ii.invoice = null;
  ctx.state.invoices.delete(invoice.id);
  ctx.events.emit('invoice.deleted', invoice);
  return { id: invoice.id, object: 'invoice', deleted: true };
};

const list = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, [...LIST_PARAMS, 'customer', 'subscription', 'status', 'created', 'collection_method']);
  const customer = p.nonEmptyString('customer');
  const subscription = p.nonEmptyString('subscription');
  const status = p.enum('status', ['draft', 'open', 'paid', 'uncollectible', 'void']);
  const created = p.range('created');
  const collectionMethod = p.enum('collection_method', ['charge_automatically', 'send_invoice']);
  const items = newestFirst(ctx.state.invoices)
    .filter(
      (inv) =>
        (!customer || inv.customer === customer) &&
        (!subscription || subscriptionIdOf(inv) === subscription) &&
        (!status || inv.status === status) &&
        (!collectionMethod || inv.collection_method === collectionMethod) &&
        inRange(inv.created, created),
    )
    .map(presentInvoice);
  return render(ctx, toList(items, p, '/v1/invoices'), expandOf(p));
};

const lines = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, [...LIST_PARAMS]);
  const invoice = invoiceFromPath(ctx, req);
  // Lines read in invoice order, so no newest-first reversal here.
  return render(ctx, toList(invoice.lines.data, p, `/v1/invoices/${invoice.id}/lines`), expandOf(p));
};

/** A draft the request had to finalize stayed one (no tax location): Stripe's error for it. */
const refuseIfNotFinalized = (invoice: Stripe.Invoice): void => {
  const failure = finalizationFailure(invoice);
  if (failure) throw failure;
};

const finalize = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['auto_advance', 'expand']);
  const invoice = invoiceFromPath(ctx, req);
  requireDraft(invoice, 'finalize');
  const autoAdvance = p.bool('auto_advance');
  if (autoAdvance !== undefined) invoice.auto_advance = autoAdvance;
  finalizeForCollection(ctx, invoice);
  refuseIfNotFinalized(invoice);
  advanceFinalized(ctx, invoice);
  return show(ctx, invoice, p);
};

/**
 * Emails a send_invoice invoice (`invoice.sent`; no email in test mode, as in Stripe). A draft is
 * finalized first; a paid invoice can be sent again, a void or uncollectible one cannot.
 */
const send = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['expand']);
  const invoice = invoiceFromPath(ctx, req);
  if (invoice.collection_method !== 'send_invoice')
    throw invalidRequest("You can only manually send an invoice if its collection method is 'send_invoice'.");
  if (invoice.status === 'void' || invoice.status === 'uncollectible')
    throw invalidRequest(`You can't send an invoice that is ${invoice.status}.`, { code: 'invoice_not_editable' });
  if (invoice.status === 'draft') finalizeForCollection(ctx, invoice);
  refuseIfNotFinalized(invoice);
  sendInvoice(ctx, invoice);
  return show(ctx, invoice, p);
};

const pay = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['payment_method', 'paid_out_of_band', 'off_session', 'expand']);
  p.bool('off_session');
  const invoice = invoiceFromPath(ctx, req);
  if (invoice.status === 'paid') throw invalidRequest('Invoice is already paid');
  if (invoice.status === 'void') throw invalidRequest('This invoice has been voided and can no longer be paid.');
  const pm = p.nonEmptyString('payment_method');
  const customer = customerIdOf(invoice.customer ?? '');
  if (pm) requireAttached(ctx, pm, customer, 'payment_method');
  if (invoice.status === 'draft') finalizeForCollection(ctx, invoice);
  refuseIfNotFinalized(invoice);
  if (invoice.status === 'paid') return show(ctx, invoice, p);
  if (p.bool('paid_out_of_band')) {
    markPaid(ctx, invoice);
    return show(ctx, invoice, p);
  }
  const result = attemptPayment(ctx, invoice, { automatic: false, ...(pm ? { paymentMethod: pm } : {}) });
  if (!result.ok) throw result.error;
  return show(ctx, invoice, p);
};

const voidIt = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['expand']);
  const invoice = invoiceFromPath(ctx, req);
  if (invoice.status !== 'open' && invoice.status !== 'uncollectible')
    throw invalidRequest(`You can only void open or uncollectible invoices. This invoice is ${invoice.status ?? 'deleted'}.`, {
      code: 'invoice_not_editable',
    });
  voidInvoice(ctx, invoice);
  return show(ctx, invoice, p);
};

const uncollectible = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['expand']);
  const invoice = invoiceFromPath(ctx, req);
  if (invoice.status !== 'open') throw invalidRequest(`You can only mark open invoices as uncollectible.`, { code: 'invoice_not_editable' });
  markUncollectible(ctx, invoice, 'user_forgiven');
  return show(ctx, invoice, p);
};

const PRORATION: readonly ProrationBehavior[] = ['create_prorations', 'always_invoice', 'none'];

const preview = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['customer', 'subscription', 'subscription_details', 'preview_mode', 'automatic_tax', 'expand']);
  p.enum('preview_mode', ['next']);
  const automaticTax = automaticTaxParam(p);
  const subscriptionId = p.nonEmptyString('subscription');
  if (!subscriptionId) throw parameterMissing('subscription');
  const sub = must(ctx.state.subscriptions, subscriptionId, 'subscription', 'subscription');
  const customer = p.nonEmptyString('customer');
  if (customer && customer !== customerIdOf(sub.customer))
    throw invalidRequest(`The subscription ${sub.id} does not belong to customer ${customer}.`, { param: 'customer' });
  const details = p.object('subscription_details', ['items', 'proration_behavior', 'proration_date']);
  const items = details?.objectList('items', ['id', 'price', 'quantity']);
  if (items && items.length > 1) throw parameterInvalid('subscription_details[items]', 'The local Stripe endpoint models one item per subscription.');
  const item = items?.[0];
  const quantity = item?.int('quantity', { min: 0 });
  if (item && quantity !== undefined && quantity !== 1) throw parameterInvalid(item.name('quantity'), 'The local Stripe endpoint models quantity 1 only.');
  const itemId = item?.nonEmptyString('id');
  if (itemId && itemId !== itemOf(sub).id) throw invalidRequest(`Invalid subscription_item id: ${itemId}`, { param: item?.name('id') ?? 'subscription_details[items]' });
  const priceId = item?.nonEmptyString('price');
  const price = priceId ? must(ctx.state.prices, priceId, 'price', item?.name('price') ?? 'price') : undefined;
  const prorationDate = details?.int('proration_date', { min: 0 });
  if (automaticTax ?? sub.automatic_tax.enabled) requireTaxLocation(must(ctx.state.customers, customerIdOf(sub.customer), 'customer', 'customer'));
  const invoice = previewInvoice(ctx, sub, {
    ...(price ? { price } : {}),
    ...(automaticTax === undefined ? {} : { automaticTax }),
    prorationBehavior: details?.enum('proration_behavior', PRORATION) ?? 'create_prorations',
    ...(prorationDate === undefined ? {} : { prorationDate }),
  });
  return render(ctx, invoice, expandOf(p));
};

export const invoiceRoutes: readonly Route[] = [
  { method: 'POST', path: '/v1/invoices', handler: create },
  { method: 'GET', path: '/v1/invoices', handler: list },
  { method: 'POST', path: '/v1/invoices/create_preview', handler: preview },
  { method: 'GET', path: '/v1/invoices/:id', handler: retrieve },
  { method: 'POST', path: '/v1/invoices/:id', handler: update },
  { method: 'DELETE', path: '/v1/invoices/:id', handler: remove },
  { method: 'GET', path: '/v1/invoices/:id/lines', handler: lines },
  { method: 'POST', path: '/v1/invoices/:id/finalize', handler: finalize },
  { method: 'POST', path: '/v1/invoices/:id/pay', handler: pay },
  { method: 'POST', path: '/v1/invoices/:id/send', handler: send },
  { method: 'POST', path: '/v1/invoices/:id/void', handler: voidIt },
  { method: 'POST', path: '/v1/invoices/:id/mark_uncollectible', handler: uncollectible },
];
