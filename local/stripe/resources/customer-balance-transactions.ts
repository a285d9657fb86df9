import type Stripe from 'stripe';
import { balanceTransactionsOf, moveBalance } from '../billing/customer-balance';
import { checkCurrency } from '../billing/invoicing';
import { parameterMissing, resourceMissing } from '../errors';
import { mergeMetadata } from '../http/params';
import { inRange, LIST_PARAMS, toList } from '../lists';
import { balanceTransactionCustomerOf, balanceTransactionInvoiceOf } from '../objects/customer-balance-transaction';
import { type ApiContext, type ApiRequest, expandOf, Params, pathParam, render, type Route } from './context';
import { customerFromPath } from './customers';
import { currencyParam } from './prices';

const url = (customer: string): string => `/v1/customers/${customer}/balance_transactions`;

const transactionFromPath = (ctx: ApiContext, req: ApiRequest, customer: Stripe.Customer): Stripe.CustomerBalanceTransaction => {
  const id = pathParam(req, 'transaction');
  const txn = ctx.state.customerBalanceTransactions.get(id);
  if (!txn || balanceTransactionCustomerOf(txn) !== customer.id) throw resourceMissing('customer balance transaction', id);
  return txn;
};

/**
 * An `adjustment`: `amount` (negative credits the customer) in `currency`, which must be the
 * customer's (a customer without one takes it; another is Stripe's one-currency 400).
 */
const create = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['amount', 'currency', 'description', 'metadata', 'expand']);
  const customer = customerFromPath(ctx, req);
  const amount = p.requiredInt('amount');
  const currency = currencyParam(p);
  if (currency === undefined) throw parameterMissing('currency');
  checkCurrency(customer, currency, 'currency');
  const txn = moveBalance(ctx, customer, {
    amount,
    currency,
    type: 'adjustment',
    description: p.string('description') || null,
    metadata: mergeMetadata(null, p.metadata()),
  });
  return render(ctx, txn, expandOf(p));
};

const list = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, [...LIST_PARAMS, 'created', 'invoice']);
  const customer = customerFromPath(ctx, req);
  const created = p.range('created');
  const invoice = p.nonEmptyString('invoice');
  const items = balanceTransactionsOf(ctx, customer.id).filter(
    (t) => inRange(t.created, created) && (invoice === undefined || balanceTransactionInvoiceOf(t) === invoice),
  );
  return render(ctx, toList(items, p, url(customer.id)), expandOf(p));
};

const retrieve = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['expand']);
  return render(ctx, transactionFromPath(ctx, req, customerFromPath(ctx, req)), expandOf(p));
};

/** Only `description` and `metadata` change (no event, as in Stripe); the amount is immutable. */
const update = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['description', 'metadata', 'expand']);
  const txn = transactionFromPath(ctx, req, customerFromPath(ctx, req));
  const metadata = p.metadata();
  if (p.has('description')) txn.description = p.string('description') || null;
  txn.metadata = mergeMetadata(txn.metadata, metadata);
  return render(ctx, txn, expandOf(p));
};

export const customerBalanceTransactionRoutes: readonly Route[] = [
  { method: 'POST', path: '/v1/customers/:id/balance_transactions', handler: create },
  { method: 'GET', path: '/v1/customers/:id/balance_transactions', handler: list },
  { method: 'GET', path: '/v1/customers/:id/balance_transactions/:transaction', handler: retrieve },
  { method: 'POST', path: '/v1/customers/:id/balance_transactions/:transaction', handler: update },
];
