import type Stripe from 'stripe';
import { newId } from '../ids';
import { balanceTransactionCustomerOf, newCustomerBalanceTransaction } from '../objects/customer-balance-transaction';
import { type BillingContext, updateCustomer } from './context';

/** One movement of a customer's invoice balance and why it happened. */
export interface BalanceMove {
  /** Negative credits the customer, positive debits. */
  readonly amount: number;
  readonly currency: string;
  readonly type: Stripe.CustomerBalanceTransaction.Type;
  readonly invoice?: string | null;
  readonly creditNote?: string | null;
  readonly description?: string | null;
  readonly metadata?: Record<string, string>;
  /** A `cbtxn_` id handed out beforehand (a credit note names its transaction when it is created). */
  readonly id?: string;
}

/**
 * Every change of `customer.balance` goes through here, as in Stripe's ledger: the balance moves
 * by `amount` (`customer.updated`; a customer without a currency takes this one) and a
 * `customer_balance_transaction` records it with the balance after it. Stripe sends no event of
 * its own for the transaction.
 */
export const moveBalance = (ctx: BillingContext, customer: Stripe.Customer, move: BalanceMove): Stripe.CustomerBalanceTransaction => {
  updateCustomer(ctx, customer, (c) => {
    c.balance += move.amount;
    if (!c.currency) c.currency = move.currency;
  });
  const txn = newCustomerBalanceTransaction({
    id: move.id ?? newId('cbtxn'),
    customer: customer.id,
    amount: move.amount,
    currency: move.currency,
    type: move.type,
    endingBalance: customer.balance,
    invoice: move.invoice ?? null,
    creditNote: move.creditNote ?? null,
    description: move.description ?? null,
    metadata: move.metadata ?? {},
    now: ctx.now(),
  });
  ctx.state.customerBalanceTransactions.set(txn.id, txn);
  return txn;
};

/** The customer's balance transactions, newest first. */
export const balanceTransactionsOf = (ctx: BillingContext, customer: string): Stripe.CustomerBalanceTransaction[] =>
  [...ctx.state.customerBalanceTransactions.values()].filter((t) => balanceTransactionCustomerOf(t) === customer).reverse();
