import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Stripe from 'stripe';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../../../local/clock';
import { freePort } from '../../../../local/ports';
import { startLocalStripe } from '../../../../local/stripe';
import { catalog, customerWith, type Harness, idOf, raw, START, startHarness } from './harness';

// Customer balance transactions (docs/local-stripe.md, "Customer balance transactions"): the ledger behind
// `customer.balance`, written by the API (`adjustment`), by invoice finalization
// (`applied_to_invoice`) and by credit notes (`credit_note`).

const balanceOf = async (stripe: Stripe, customer: string): Promise<number> => ((await stripe.customers.retrieve(customer)) as Stripe.Customer).balance;

const ledger = async (stripe: Stripe, customer: string): Promise<Stripe.CustomerBalanceTransaction[]> => {
  const out: Stripe.CustomerBalanceTransaction[] = [];
  for await (const txn of stripe.customers.listBalanceTransactions(customer, { limit: 2 })) out.push(txn);
  return out;
};

describe('local Stripe customer balance transactions', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('credits the customer, moves its balance (customer.updated) and lists, retrieves and updates the transaction', async () => {
    const customer = await customerWith(h.stripe);
    expect(customer).toMatchObject({ balance: 0, currency: null });
    const credit = await h.stripe.customers.createBalanceTransaction(customer.id, {
      amount: -2_500,
      currency: 'usd',
      description: 'Goodwill credit',
      metadata: { ticket: 'T-1' },
    });
    expect(credit).toEqual({
      id: expect.stringMatching(/^cbtxn_/) as unknown,
      object: 'customer_balance_transaction',
      amount: -2_500,
      checkout_session: null,
      created: h.now(),
      credit_note: null,
      currency: 'usd',
      customer: customer.id,
      customer_account: null,
      description: 'Goodwill credit',
      ending_balance: -2_500,
      invoice: null,
      livemode: false,
      metadata: { ticket: 'T-1' },
      type: 'adjustment',
    });
    // A customer without a currency takes the transaction's.
    expect((await h.stripe.customers.retrieve(customer.id)) as Stripe.Customer).toMatchObject({ balance: -2_500, currency: 'usd' });

    const debit = await h.stripe.customers.createBalanceTransaction(customer.id, { amount: 400, currency: 'usd' });
    expect(debit).toMatchObject({ amount: 400, ending_balance: -2_100, description: null, metadata: {}, type: 'adjustment' });
    expect(await balanceOf(h.stripe, customer.id)).toBe(-2_100);

    const page = await h.stripe.customers.listBalanceTransactions(customer.id, { limit: 1 });
    expect(page).toMatchObject({ object: 'list', has_more: true, url: `/v1/customers/${customer.id}/balance_transactions` });
    expect(page.data.map((t) => t.id)).toEqual([debit.id]);
    expect((await ledger(h.stripe, customer.id)).map((t) => t.id)).toEqual([debit.id, credit.id]);

    expect(await h.stripe.customers.retrieveBalanceTransaction(customer.id, credit.id)).toEqual(credit);
    const updated = await h.stripe.customers.updateBalanceTransaction(customer.id, credit.id, { description: 'Apology', metadata: { ticket: '', case: 'C-9' } });
    expect(updated).toMatchObject({ amount: -2_500, description: 'Apology', metadata: { case: 'C-9' } });
    await expect(
      h.stripe.customers.updateBalanceTransaction(customer.id, credit.id, { amount: 1 } as Stripe.CustomerUpdateBalanceTransactionParams),
    ).rejects.toMatchObject({ statusCode: 400, code: 'parameter_unknown', param: 'amount' });

    // The transaction belongs to its customer: another customer's path is 404.
    const other = await customerWith(h.stripe);
    await expect(h.stripe.customers.retrieveBalanceTransaction(other.id, credit.id)).rejects.toMatchObject({ statusCode: 404, code: 'resource_missing' });
    await expect(h.stripe.customers.listBalanceTransactions('cus_missing')).rejects.toMatchObject({ statusCode: 404, code: 'resource_missing' });

    await h.local.idle();
    const updates = h.receiver.ofType('customer.updated').filter((e) => e.data.object.id === customer.id);
    expect(updates.map((e) => [e.data.object.balance, e.data.previous_attributes])).toEqual([
      [-2_500, { balance: 0, currency: null }],
      [-2_100, { balance: -2_500 }],
    ]);
    // Real Stripe has no event of its own for a customer balance transaction.
    expect(h.receiver.types().filter((t) => t.includes('balance_transaction'))).toEqual([]);
  });

  it('applies the credit when the next invoice finalizes and records it as applied_to_invoice', async () => {
    const prices = await catalog(h.stripe);
    const customer = await customerWith(h.stripe);
    const credit = await h.stripe.customers.createBalanceTransaction(customer.id, { amount: -2_500, currency: 'usd' });
    const sub = await h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: prices.starterMonthly.id }] });
    const invoice = await h.stripe.invoices.retrieve(idOf(sub.latest_invoice));
    expect(invoice).toMatchObject({ total: 9_900, starting_balance: -2_500, ending_balance: 0, amount_due: 7_400, amount_paid: 7_400, status: 'paid' });
    expect(await balanceOf(h.stripe, customer.id)).toBe(0);

    const [applied, ...rest] = await ledger(h.stripe, customer.id);
    expect(rest.map((t) => t.id)).toEqual([credit.id]);
    expect(applied).toMatchObject({
      object: 'customer_balance_transaction',
      type: 'applied_to_invoice',
      amount: 2_500,
      ending_balance: 0,
      invoice: invoice.id,
      credit_note: null,
      currency: 'usd',
      customer: customer.id,
    });
    const forInvoice = await h.stripe.customers.listBalanceTransactions(customer.id, { invoice: invoice.id, expand: ['data.invoice'] });
    expect(forInvoice.data.map((t) => [t.id, idOf(t.invoice as Stripe.Invoice)])).toEqual([[applied?.id, invoice.id]]);
  });

  it('leaves the rest of a larger credit on the balance', async () => {
    const customer = await customerWith(h.stripe);
    await h.stripe.customers.createBalanceTransaction(customer.id, { amount: -5_000, currency: 'usd' });
    await h.stripe.invoiceItems.create({ customer: customer.id, amount: 2_000, currency: 'usd' });
    const draft = await h.stripe.invoices.create({ customer: customer.id, pending_invoice_items_behavior: 'include' });
    const invoice = await h.stripe.invoices.finalizeInvoice(draft.id);
    expect(invoice).toMatchObject({ starting_balance: -5_000, ending_balance: -3_000, amount_due: 0, status: 'paid' });
    const [applied] = await ledger(h.stripe, customer.id);
    expect(applied).toMatchObject({ type: 'applied_to_invoice', amount: 2_000, ending_balance: -3_000, invoice: invoice.id });
    expect(await balanceOf(h.stripe, customer.id)).toBe(-3_000);
  });

  it('records credit notes that credit the balance, and their voiding', async () => {
    const customer = await customerWith(h.stripe);
    await h.stripe.invoiceItems.create({ customer: customer.id, amount: 2_000, currency: 'usd' });
    const draft = await h.stripe.invoices.create({ customer: customer.id, pending_invoice_items_behavior: 'include' });
    const invoice = await h.stripe.invoices.pay((await h.stripe.invoices.finalizeInvoice(draft.id)).id);
    expect(invoice.status).toBe('paid');
    const note = await h.stripe.creditNotes.create({ invoice: invoice.id, amount: 700, credit_amount: 700 });
    const [credited] = await ledger(h.stripe, customer.id);
    expect(credited).toMatchObject({ type: 'credit_note', amount: -700, ending_balance: -700, credit_note: note.id, invoice: invoice.id, currency: 'usd' });
    expect(note.customer_balance_transaction).toBe(credited?.id);
    expect(await balanceOf(h.stripe, customer.id)).toBe(-700);

    // A note that only lowers what an open invoice owes does not touch the balance.
    await h.stripe.invoiceItems.create({ customer: customer.id, amount: 1_000, currency: 'usd' });
    const second = await h.stripe.invoices.create({ customer: customer.id, pending_invoice_items_behavior: 'include', auto_advance: false });
    const open = await h.stripe.invoices.finalizeInvoice(second.id);
    expect(open).toMatchObject({ starting_balance: -700, amount_due: 300 });
    const prePayment = await h.stripe.creditNotes.create({ invoice: open.id, amount: 100 });
    expect(prePayment.customer_balance_transaction).toBeNull();

    await h.stripe.creditNotes.voidCreditNote(note.id);
    const all = await ledger(h.stripe, customer.id);
    expect(all.map((t) => [t.type, t.amount, t.ending_balance])).toEqual([
      ['credit_note', 700, 700],
      ['applied_to_invoice', 700, 0],
      ['credit_note', -700, -700],
    ]);
    expect(all[0]).toMatchObject({ credit_note: note.id });
    // The ledger adds up to the balance.
    expect(all.reduce((sum, t) => sum + t.amount, 0)).toBe(await balanceOf(h.stripe, customer.id));
  });

  it('refuses a currency other than the customer’s with Stripe’s error shape, and a missing currency', async () => {
    const customer = await customerWith(h.stripe);
    await h.stripe.invoiceItems.create({ customer: customer.id, amount: 1_000, currency: 'usd' });
    const refused = await h.stripe.customers.createBalanceTransaction(customer.id, { amount: -100, currency: 'eur' }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(refused).toMatchObject({ statusCode: 400, type: 'StripeInvalidRequestError', param: 'currency' });

    const wire = await raw(h, 'POST', `/v1/customers/${customer.id}/balance_transactions`, 'amount=-100&currency=eur');
    expect(wire.status).toBe(400);
    expect(wire.json).toEqual({
      error: {
        type: 'invalid_request_error',
        message: expect.stringContaining('currency usd') as unknown,
        param: 'currency',
      },
    });
    await expect(h.stripe.customers.createBalanceTransaction(customer.id, { amount: -100 } as Stripe.CustomerCreateBalanceTransactionParams)).rejects.toMatchObject({
      statusCode: 400,
      code: 'parameter_missing',
      param: 'currency',
    });
    await expect(h.stripe.customers.createBalanceTransaction(customer.id, { currency: 'usd' } as Stripe.CustomerCreateBalanceTransactionParams)).rejects.toMatchObject({
      statusCode: 400,
      code: 'parameter_missing',
      param: 'amount',
    });
    expect(await balanceOf(h.stripe, customer.id)).toBe(0);
    expect((await h.stripe.customers.listBalanceTransactions(customer.id)).data).toEqual([]);
  });

  it('replays an idempotent create: the same transaction, the balance moved once', async () => {
    const customer = await customerWith(h.stripe);
    const params = { amount: -1_000, currency: 'usd', description: 'Refund as credit' };
    const first = await h.stripe.customers.createBalanceTransaction(customer.id, params, { idempotencyKey: 'credit-1' });
    const again = await h.stripe.customers.createBalanceTransaction(customer.id, params, { idempotencyKey: 'credit-1' });
    expect(again).toEqual(first);
    expect(again.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect(await balanceOf(h.stripe, customer.id)).toBe(-1_000);
    expect((await ledger(h.stripe, customer.id)).map((t) => t.id)).toEqual([first.id]);
    await expect(h.stripe.customers.createBalanceTransaction(customer.id, { ...params, amount: -2_000 }, { idempotencyKey: 'credit-1' })).rejects.toMatchObject({
      type: 'StripeIdempotencyError',
    });
  });
});

describe('local Stripe customer balance transactions in the state file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'local-stripe-cbtxn-'));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the ledger across a restart', async () => {
    const stateFile = join(dir, 'stripe.json');
    const start = async () => {
      const local = await startLocalStripe({ port: await freePort(), clock: new SimulatedClock({ frozen: true, start: START }), stateFile });
      return { local, stripe: new Stripe('sk_test_local', { host: '127.0.0.1', port: local.port, protocol: 'http', maxNetworkRetries: 0 }) };
    };
    const first = await start();
    const customer = await first.stripe.customers.create({ email: 'a@example.com' });
    const txn = await first.stripe.customers.createBalanceTransaction(customer.id, { amount: -300, currency: 'usd' }, { idempotencyKey: 'k' });
    await first.local.close();

    const second = await start();
    try {
      const [kept, ...rest] = (await second.stripe.customers.listBalanceTransactions(customer.id)).data;
      expect(rest).toEqual([]);
      expect(kept).toMatchObject({ id: txn.id, type: 'adjustment', amount: -300, ending_balance: -300, currency: 'usd', created: txn.created });
      // The idempotency key was kept too: a retry after the restart replays.
      const retried = await second.stripe.customers.createBalanceTransaction(customer.id, { amount: -300, currency: 'usd' }, { idempotencyKey: 'k' });
      expect(retried.id).toBe(txn.id);
      expect(await balanceOf(second.stripe, customer.id)).toBe(-300);
    } finally {
      await second.local.close();
    }
  });
});
