import type Stripe from 'stripe';

/**
 * A line of a customer's invoice balance ledger (`cbtxn_...`): `amount` negative credits the
 * customer, positive debits; `ending_balance` is `customer.balance` right after it.
 */
export const newCustomerBalanceTransaction = (input: {
  id: string;
  customer: string;
  amount: number;
  currency: string;
  type: Stripe.CustomerBalanceTransaction.Type;
  endingBalance: number;
  invoice: string | null;
  creditNote: string | null;
  description: string | null;
  metadata: Record<string, string>;
  now: number;
}): Stripe.CustomerBalanceTransaction => ({
  id: input.id,
  object: 'customer_balance_transaction',
  amount: input.amount,
  checkout_session: null,
  created: input.now,
  credit_note: input.creditNote,
  currency: input.currency,
  customer: input.customer,
  customer_account: null,
  description: input.description,
  ending_balance: input.endingBalance,
  invoice: input.invoice,
  livemode: false,
  metadata: input.metadata,
  type: input.type,
});

export const balanceTransactionCustomerOf = (txn: Stripe.CustomerBalanceTransaction): string =>
  typeof txn.customer === 'string' ? txn.customer : txn.customer.id;

export const balanceTransactionInvoiceOf = (txn: Stripe.CustomerBalanceTransaction): string | null =>
  txn.invoice === null ? null : typeof txn.invoice === 'string' ? txn.invoice : txn.invoice.id;
