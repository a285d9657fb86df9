import Stripe from 'stripe';
import { adoptCurrency, addItemToDraft, checkCurrency, removeItemFromDraft, requireDraft } from '../billing/invoicing';
import { invalidRequest, parameterInvalid, parameterMissing, resourceMissing } from '../errors';
import { mergeMetadata } from '../http/params';
import { newId } from '../ids';
import { inRange, LIST_PARAMS, newestFirst, toList } from '../lists';
import { productIdOf } from '../objects/catalog';
import { invoiceItemSubscriptionOf, newInvoiceItem } from '../objects/invoice';
import { customerIdOf } from '../objects/subscription';
import { type InvoiceItemTaxBehavior, must } from '../store';
import { type ApiContext, type ApiRequest, expandOf, Params, pathParam, render, type Route } from './context';
import { currencyParam } from './prices';

interface Pricing {
  readonly amount: number;
  readonly currency: string | undefined;
  readonly quantity: number;
  readonly unitAmountDecimal: Stripe.Decimal;
  readonly price: { id: string; product: string } | null;
  /** `price_data[tax_behavior]` (an existing price keeps its own, read when tax is computed). */
  readonly taxBehavior?: InvoiceItemTaxBehavior;
}

const TAX_BEHAVIORS: readonly InvoiceItemTaxBehavior[] = ['exclusive', 'inclusive', 'unspecified'];

/** `unit_amount_decimal x quantity`, rounded half up to the minor unit as Stripe rounds line amounts. */
const times = (unit: Stripe.Decimal, quantity: number): number => Number(unit.mul(Stripe.Decimal.from(quantity)).toFixed(0, 'half-up'));

/** Exactly one way of pricing: `amount`, `unit_amount_decimal`, `pricing[price]` or `price_data`. */
const pricingOf = (ctx: ApiContext, p: Params): Pricing => {
  const amount = p.int('amount');
  const unitDecimal = p.decimal('unit_amount_decimal');
  const pricing = p.object('pricing', ['price']);
  const priceData = p.object('price_data', ['currency', 'product', 'unit_amount', 'unit_amount_decimal', 'tax_behavior']);
  const ways = [amount !== undefined, unitDecimal !== undefined, pricing !== undefined, priceData !== undefined].filter(Boolean).length;
  if (ways > 1)
    throw invalidRequest('You may only specify one of these parameters: amount, unit_amount_decimal, pricing, price_data.', {
      code: 'parameters_exclusive',
    });
  const quantity = p.int('quantity', { min: 0 });
  const currency = currencyParam(p);
  if (amount !== undefined) {
    if (quantity !== undefined && quantity !== 1) throw invalidRequest('You may only specify one of these parameters: amount, quantity.', { param: 'quantity' });
    return { amount, currency, quantity: 1, unitAmountDecimal: Stripe.Decimal.from(amount), price: null };
  }
  if (unitDecimal !== undefined) {
    const unit = Stripe.Decimal.from(unitDecimal);
    return { amount: times(unit, quantity ?? 1), currency, quantity: quantity ?? 1, unitAmountDecimal: unit, price: null };
  }
  if (pricing) {
    const price = must(ctx.state.prices, pricing.requiredString('price'), 'price', 'pricing[price]');
    if (currency && currency !== price.currency) throw invalidRequest(`The price is in ${price.currency}, not ${currency}.`, { param: 'currency' });
    const unit = price.unit_amount_decimal ?? Stripe.Decimal.from(price.unit_amount ?? 0);
    return { amount: times(unit, quantity ?? 1), currency: price.currency, quantity: quantity ?? 1, unitAmountDecimal: unit, price: { id: price.id, product: productIdOf(price) } };
  }
  if (priceData) {
    const dataCurrency = currencyParam(priceData);
    if (!dataCurrency) throw parameterMissing('price_data[currency]');
    const product = must(ctx.state.products, priceData.requiredString('product'), 'product', 'price_data[product]');
    const taxBehavior = priceData.enum('tax_behavior', TAX_BEHAVIORS);
    const unitAmount = priceData.int('unit_amount');
    const dataDecimal = priceData.decimal('unit_amount_decimal');
    if (unitAmount !== undefined && dataDecimal !== undefined)
      throw invalidRequest('You may only specify one of these parameters: price_data[unit_amount], price_data[unit_amount_decimal].');
    if (unitAmount === undefined && dataDecimal === undefined) throw parameterMissing('price_data[unit_amount]');
    const unit = Stripe.Decimal.from(dataDecimal ?? unitAmount ?? 0);
    // Stripe creates a hidden one-off price for price_data; the line names the product only.
    return {
      amount: times(unit, quantity ?? 1),
      currency: dataCurrency,
      quantity: quantity ?? 1,
      unitAmountDecimal: unit,
      price: { id: newId('price'), product: product.id },
      ...(taxBehavior ? { taxBehavior } : {}),
    };
  }
  throw parameterMissing('amount');
};

const create = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, [
    'customer',
    'subscription',
    'invoice',
    'amount',
    'unit_amount_decimal',
    'quantity',
    'pricing',
    'price_data',
    'currency',
    'description',
    'metadata',
    'period',
    'discountable',
    'tax_behavior',
    'expand',
  ]);
  const customerId = p.requiredString('customer');
  if (ctx.state.deletedCustomers.has(customerId)) throw resourceMissing('customer', customerId, 'customer');
  const customer = must(ctx.state.customers, customerId, 'customer', 'customer');
  const pricing = pricingOf(ctx, p);
  const taxBehavior = p.enum('tax_behavior', TAX_BEHAVIORS) ?? pricing.taxBehavior;
  const currency = pricing.currency ?? customer.currency;
  if (!currency) throw parameterMissing('currency');
  checkCurrency(customer, currency, 'currency');

  const subscriptionId = p.nonEmptyString('subscription');
  if (subscriptionId) {
    const sub = must(ctx.state.subscriptions, subscriptionId, 'subscription', 'subscription');
    if (customerIdOf(sub.customer) !== customer.id)
      throw invalidRequest(`The subscription ${sub.id} does not belong to customer ${customer.id}.`, { param: 'subscription' });
    if (sub.status === 'canceled' || sub.status === 'incomplete_expired')
      throw invalidRequest('You cannot add invoice items to a canceled subscription.', { param: 'subscription' });
  }
  const invoiceId = p.nonEmptyString('invoice');
  const invoice = invoiceId ? must(ctx.state.invoices, invoiceId, 'invoice', 'invoice') : undefined;
  if (invoice) {
    // The `invoice` parameter names a finalized invoice: Stripe's refusal names that parameter.
    if (invoice.status !== 'draft')
      throw invalidRequest(`You can only add invoice items to draft invoices. This invoice (${invoice.id}) is ${invoice.status ?? 'deleted'}.`, {
        code: 'invoice_not_editable',
        param: 'invoice',
      });
    if (invoice.customer !== customer.id) throw invalidRequest(`The invoice ${invoice.id} belongs to another customer.`, { param: 'invoice' });
    if (invoice.currency !== currency) throw invalidRequest(`The invoice ${invoice.id} is in ${invoice.currency}.`, { param: 'currency' });
  }
  const period = p.object('period', ['start', 'end']);
  const now = ctx.now();
  const start = period ? period.requiredInt('start', { min: 0 }) : now;
  const end = period ? period.requiredInt('end', { min: 0 }) : now;
  if (end < start) throw parameterInvalid('period[end]', 'period[end] must be on or after period[start].');

  adoptCurrency(ctx, customer, currency);
  const ii = newInvoiceItem({
    id: newId('ii'),
    customer,
    amount: pricing.amount,
    currency,
    description: p.string('description') ?? null,
    quantity: pricing.quantity,
    unitAmountDecimal: pricing.unitAmountDecimal,
    price: pricing.price,
    periodStart: start,
    periodEnd: end,
    proration: false,
    subscription: subscriptionId ?? null,
    subscriptionItem: null,
    invoice: null,
    metadata: mergeMetadata(null, p.metadata()),
    discountable: p.bool('discountable') ?? true,
    now,
  });
  ctx.state.invoiceItems.set(ii.id, ii);
  if (taxBehavior) ctx.state.invoiceItemTaxBehavior.set(ii.id, taxBehavior);
  ctx.events.emit('invoiceitem.created', ii);
  if (invoice) addItemToDraft(ctx, invoice, ii);
  return render(ctx, ii, expandOf(p));
};

const retrieve = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['expand']);
  return render(ctx, must(ctx.state.invoiceItems, pathParam(req, 'id'), 'invoiceitem'), expandOf(p));
};

const remove = (ctx: ApiContext, req: ApiRequest): unknown => {
  Params.strict(req.params, []);
  const ii = must(ctx.state.invoiceItems, pathParam(req, 'id'), 'invoiceitem');
  const invoiceId = typeof ii.invoice === 'string' ? ii.invoice : (ii.invoice?.id ?? null);
  const invoice = invoiceId ? ctx.state.invoices.get(invoiceId) : undefined;
  if (invoice) requireDraft(invoice, 'delete invoice items from');
  if (invoice) removeItemFromDraft(ctx, invoice, ii);
  ctx.state.invoiceItems.delete(ii.id);
  ctx.state.invoiceItemTaxBehavior.delete(ii.id);
  ctx.events.emit('invoiceitem.deleted', ii);
  return { id: ii.id, object: 'invoiceitem', deleted: true };
};

const list = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, [...LIST_PARAMS, 'customer', 'pending', 'invoice', 'created', 'subscription']);
  const customer = p.nonEmptyString('customer');
  const pending = p.bool('pending');
  const invoice = p.nonEmptyString('invoice');
  const subscription = p.nonEmptyString('subscription');
  const created = p.range('created');
  const items = newestFirst(ctx.state.invoiceItems).filter(
    (ii) =>
      (!customer || ii.customer === customer) &&
      (pending === undefined || (ii.invoice === null) === pending) &&
      (!invoice || ii.invoice === invoice) &&
      (!subscription || invoiceItemSubscriptionOf(ii) === subscription) &&
      inRange(ii.date, created),
  );
  return render(ctx, toList(items, p, '/v1/invoiceitems'), expandOf(p));
};

export const invoiceItemRoutes: readonly Route[] = [
  { method: 'POST', path: '/v1/invoiceitems', handler: create },
  { method: 'GET', path: '/v1/invoiceitems', handler: list },
  { method: 'GET', path: '/v1/invoiceitems/:id', handler: retrieve },
  { method: 'DELETE', path: '/v1/invoiceitems/:id', handler: remove },
];
