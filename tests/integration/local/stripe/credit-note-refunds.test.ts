import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Stripe from 'stripe';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../../../local/clock';
import { freePort } from '../../../../local/ports';
import { startLocalStripe } from '../../../../local/stripe';
import { customerWith, type Harness, idOf, START, startHarness } from './harness';

// Refunds through credit notes (docs/local-stripe.md, "Credit notes"): a post-payment note on a
// paid invoice splits its amount into `refund_amount` (a Refund on the invoice's charge),
// `credit_amount` and `out_of_band_amount`, or links Refunds made through the Refunds API.

/** A one-off invoice for `amount`, finalized and paid with the customer's default card. */
const paidInvoice = async (stripe: Stripe, customer: string, amount: number): Promise<Stripe.Invoice> => {
  await stripe.invoiceItems.create({ customer, amount, currency: 'usd', description: 'Seats' });
  const draft = await stripe.invoices.create({ customer, pending_invoice_items_behavior: 'include' });
  await stripe.invoices.finalizeInvoice(draft.id);
  return stripe.invoices.pay(draft.id);
};

const chargeOf = async (stripe: Stripe, customer: string): Promise<Stripe.Charge> => {
  const [charge, ...others] = (await stripe.charges.list({ customer })).data;
  expect(others).toEqual([]);
  if (!charge) throw new Error('no charge');
  return charge;
};

const balanceOf = async (stripe: Stripe, customer: string): Promise<number> => ((await stripe.customers.retrieve(customer)) as Stripe.Customer).balance;

describe('local Stripe refunds through credit notes', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => h.close());

  it('refunds a paid invoice in full: a Refund on its charge, the events Stripe sends, a note that cannot be voided', async () => {
    const customer = await customerWith(h.stripe);
    const invoice = await paidInvoice(h.stripe, customer.id, 2_000);
    const charge = await chargeOf(h.stripe, customer.id);
    await h.local.idle();
    h.receiver.clear();

    const note = await h.stripe.creditNotes.create({
      invoice: invoice.id,
      amount: 2_000,
      refund_amount: 2_000,
      reason: 'duplicate',
      memo: 'Charged twice',
      metadata: { ticket: 'T-1' },
    });
    expect(note).toMatchObject({
      object: 'credit_note',
      invoice: invoice.id,
      amount: 2_000,
      subtotal: 2_000,
      total: 2_000,
      pre_payment_amount: 0,
      post_payment_amount: 2_000,
      out_of_band_amount: null,
      customer_balance_transaction: null,
      type: 'post_payment',
      status: 'issued',
      reason: 'duplicate',
      memo: 'Charged twice',
      metadata: { ticket: 'T-1' },
    });
    expect(note.refunds).toEqual([{ refund: expect.stringMatching(/^re_/), amount_refunded: 2_000, type: 'refund', payment_record_refund: null }]);
    const refundId = idOf(note.refunds[0]?.refund);

    expect(await h.stripe.refunds.retrieve(refundId)).toMatchObject({
      object: 'refund',
      amount: 2_000,
      status: 'succeeded',
      charge: charge.id,
      payment_intent: idOf(charge.payment_intent),
      currency: 'usd',
    });
    expect(await h.stripe.charges.retrieve(charge.id)).toMatchObject({ amount: 2_000, amount_captured: 2_000, amount_refunded: 2_000, refunded: true });
    expect((await h.stripe.refunds.list({ charge: charge.id })).data.map((r) => r.id)).toEqual([refundId]);
    expect((await h.stripe.refunds.list({ payment_intent: idOf(charge.payment_intent) })).data.map((r) => r.id)).toEqual([refundId]);
    // The invoice stays paid for what was paid; the note shows as post-payment credit.
    expect(await h.stripe.invoices.retrieve(invoice.id)).toMatchObject({
      status: 'paid',
      amount_paid: 2_000,
      amount_remaining: 0,
      post_payment_credit_notes_amount: 2_000,
      pre_payment_credit_notes_amount: 0,
    });
    expect(await balanceOf(h.stripe, customer.id)).toBe(0);
    expect((await h.stripe.customers.listBalanceTransactions(customer.id)).data).toEqual([]);
    // `refunds.refund` expands to the Refund.
    const expanded = await h.stripe.creditNotes.retrieve(note.id, { expand: ['refunds.refund'] });
    expect(expanded.refunds[0]?.refund).toMatchObject({ id: refundId, object: 'refund', amount: 2_000 });

    // The endpoint's event log and the webhooks agree: the refund, the charge, the note, the invoice.
    const emitted = ['refund.created', 'charge.refunded', 'credit_note.created', 'invoice.updated'];
    expect((await h.stripe.events.list({ limit: 5 })).data.map((e) => e.type).reverse()).toEqual(['invoice.payment_succeeded', ...emitted]);
    await h.local.idle();
    expect(h.receiver.types()).toEqual(emitted);
    expect(h.receiver.ofType('charge.refunded')[0]?.data.object).toMatchObject({ id: charge.id, amount_refunded: 2_000, refunded: true });
    expect(h.receiver.ofType('refund.created')[0]?.data.object).toMatchObject({ id: refundId, amount: 2_000 });
    expect(h.receiver.ofType('credit_note.created')[0]?.data.object.refunds).toEqual(note.refunds);
    expect(h.receiver.ofType('invoice.updated')[0]?.data.previous_attributes).toEqual({ post_payment_credit_notes_amount: 0 });

    // A refund cannot be taken back: neither can the note that made it.
    await expect(h.stripe.creditNotes.voidCreditNote(note.id)).rejects.toMatchObject({ statusCode: 400, type: 'StripeInvalidRequestError' });
    expect(await h.stripe.creditNotes.retrieve(note.id)).toMatchObject({ status: 'issued', voided_at: null });
    // Nothing is left to refund or to credit.
    await expect(h.stripe.creditNotes.create({ invoice: invoice.id, amount: 1, refund_amount: 1 })).rejects.toMatchObject({ statusCode: 400, param: 'refund_amount' });
    await expect(h.stripe.creditNotes.create({ invoice: invoice.id, amount: 1, credit_amount: 1 })).rejects.toMatchObject({ statusCode: 400, param: 'amount' });
  });

  it('refunds in parts, with credit beside the refund, and refuses more than is left on the charge', async () => {
    const customer = await customerWith(h.stripe);
    const invoice = await paidInvoice(h.stripe, customer.id, 2_000);
    const charge = await chargeOf(h.stripe, customer.id);
    const line = invoice.lines.data[0];

    const first = await h.stripe.creditNotes.create({ invoice: invoice.id, amount: 800, refund_amount: 500, credit_amount: 300, reason: 'order_change' });
    expect(first).toMatchObject({ amount: 800, post_payment_amount: 800, type: 'post_payment', refunds: [{ amount_refunded: 500, type: 'refund' }] });
    expect(first.customer_balance_transaction).toMatch(/^cbtxn_/);
    expect(await h.stripe.charges.retrieve(charge.id)).toMatchObject({ amount_refunded: 500, refunded: false });
    expect(await balanceOf(h.stripe, customer.id)).toBe(-300);

    const second = await h.stripe.creditNotes.create({
      invoice: invoice.id,
      lines: [{ type: 'invoice_line_item', invoice_line_item: line?.id ?? '', amount: 700 }],
      refund_amount: 700,
      reason: 'product_unsatisfactory',
    });
    expect(second).toMatchObject({ amount: 700, total: 700, refunds: [{ amount_refunded: 700 }], customer_balance_transaction: null });
    expect(await h.stripe.charges.retrieve(charge.id)).toMatchObject({ amount_refunded: 1_200, refunded: false });
    expect(await h.stripe.invoices.retrieve(invoice.id)).toMatchObject({ amount_paid: 2_000, post_payment_credit_notes_amount: 1_500 });
    const refunds = (await h.stripe.refunds.list({ charge: charge.id })).data;
    expect(refunds.map((r) => [r.id, r.amount])).toEqual([
      [idOf(second.refunds[0]?.refund), 700],
      [idOf(first.refunds[0]?.refund), 500],
    ]);

    // 2,000 - 800 - 700 = 500 is left to credit; 2,000 - 1,200 = 800 is left on the charge.
    await expect(h.stripe.creditNotes.create({ invoice: invoice.id, amount: 600, refund_amount: 600 })).rejects.toMatchObject({
      statusCode: 400,
      type: 'StripeInvalidRequestError',
      param: 'amount',
    });
    // The parts must add up to the note (no default for what is not given).
    await expect(h.stripe.creditNotes.create({ invoice: invoice.id, amount: 500, refund_amount: 400 })).rejects.toMatchObject({ statusCode: 400 });
    await expect(h.stripe.creditNotes.create({ invoice: invoice.id, amount: 500 })).rejects.toMatchObject({ statusCode: 400 });
    const last = await h.stripe.creditNotes.create({ invoice: invoice.id, amount: 500, refund_amount: 400, out_of_band_amount: 100 });
    expect(last).toMatchObject({ out_of_band_amount: 100, refunds: [{ amount_refunded: 400 }] });
    expect(await h.stripe.charges.retrieve(charge.id)).toMatchObject({ amount_refunded: 1_600, refunded: false });
    expect((await h.stripe.refunds.list({ charge: charge.id })).data).toHaveLength(3);
  });

  it('refuses a refund larger than the charge when the customer balance paid part of the invoice', async () => {
    const customer = await customerWith(h.stripe);
    await h.stripe.customers.createBalanceTransaction(customer.id, { amount: -500, currency: 'usd' });
    const invoice = await paidInvoice(h.stripe, customer.id, 2_000);
    expect(invoice).toMatchObject({ total: 2_000, amount_paid: 1_500, status: 'paid' });
    const charge = await chargeOf(h.stripe, customer.id);
    expect(charge.amount).toBe(1_500);

    const refused = await h.stripe.creditNotes.create({ invoice: invoice.id, amount: 2_000, refund_amount: 2_000 }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(refused).toMatchObject({ statusCode: 400, param: 'refund_amount', raw: { type: 'invalid_request_error', param: 'refund_amount' } });
    expect((await h.stripe.refunds.list({ charge: charge.id })).data).toEqual([]);
    expect((await h.stripe.creditNotes.list({ invoice: invoice.id })).data).toEqual([]);

    // What the card paid goes back to the card, the rest to the balance it came from.
    const note = await h.stripe.creditNotes.create({ invoice: invoice.id, amount: 2_000, refund_amount: 1_500, credit_amount: 500 });
    expect(note.refunds).toMatchObject([{ amount_refunded: 1_500 }]);
    expect(await h.stripe.charges.retrieve(charge.id)).toMatchObject({ amount_refunded: 1_500, refunded: true });
    expect(await balanceOf(h.stripe, customer.id)).toBe(-500);
  });

  it('refuses refunds on an invoice that is not paid, or was paid without a charge', async () => {
    const customer = await customerWith(h.stripe);
    await h.stripe.invoiceItems.create({ customer: customer.id, amount: 1_000, currency: 'usd' });
    const draft = await h.stripe.invoices.create({ customer: customer.id, pending_invoice_items_behavior: 'include', auto_advance: false });
    const open = await h.stripe.invoices.finalizeInvoice(draft.id, { auto_advance: false });
    expect(open.status).toBe('open');
    await expect(h.stripe.creditNotes.create({ invoice: open.id, amount: 100, refund_amount: 100 })).rejects.toMatchObject({
      statusCode: 400,
      type: 'StripeInvalidRequestError',
      param: 'refund_amount',
    });
    await expect(h.stripe.creditNotes.preview({ invoice: open.id, amount: 100, refund_amount: 100 })).rejects.toMatchObject({ param: 'refund_amount' });

    await h.stripe.invoices.pay(open.id, { paid_out_of_band: true });
    await expect(h.stripe.creditNotes.create({ invoice: open.id, amount: 100, refund_amount: 100 })).rejects.toMatchObject({ statusCode: 400, param: 'refund_amount' });
    expect(await h.stripe.creditNotes.create({ invoice: open.id, amount: 100, out_of_band_amount: 100 })).toMatchObject({ refunds: [], out_of_band_amount: 100 });
    expect((await h.stripe.refunds.list()).data).toEqual([]);
  });

  it('previews a refund without making it', async () => {
    const customer = await customerWith(h.stripe);
    const invoice = await paidInvoice(h.stripe, customer.id, 2_000);
    const charge = await chargeOf(h.stripe, customer.id);
    const preview = await h.stripe.creditNotes.preview({ invoice: invoice.id, amount: 1_000, refund_amount: 1_000 });
    expect(preview).toMatchObject({ amount: 1_000, post_payment_amount: 1_000, type: 'post_payment' });
    expect((await h.stripe.refunds.list()).data).toEqual([]);
    expect(await h.stripe.charges.retrieve(charge.id)).toMatchObject({ amount_refunded: 0 });
    expect((await h.stripe.creditNotes.list()).data).toEqual([]);
  });

  it('counts refunds made through the Refunds API against the invoice, and links them to a note', async () => {
    const customer = await customerWith(h.stripe);
    const invoice = await paidInvoice(h.stripe, customer.id, 2_000);
    const charge = await chargeOf(h.stripe, customer.id);
    const direct = await h.stripe.refunds.create({ charge: charge.id, amount: 600 });

    // 2,000 - 600 = 1,400 is left to credit.
    await expect(h.stripe.creditNotes.create({ invoice: invoice.id, amount: 1_500, out_of_band_amount: 1_500 })).rejects.toMatchObject({ statusCode: 400, param: 'amount' });
    await expect(h.stripe.creditNotes.create({ invoice: invoice.id, amount: 700, refunds: [{ refund: direct.id, amount_refunded: 700 }] })).rejects.toMatchObject({
      statusCode: 400,
      param: 'refunds[0][amount_refunded]',
    });
    const linked = await h.stripe.creditNotes.create({ invoice: invoice.id, amount: 600, refunds: [{ refund: direct.id }] });
    expect(linked.refunds).toEqual([{ refund: direct.id, amount_refunded: 600, type: 'refund', payment_record_refund: null }]);
    // Linking refunds nothing more.
    expect(await h.stripe.charges.retrieve(charge.id)).toMatchObject({ amount_refunded: 600 });
    expect((await h.stripe.refunds.list({ charge: charge.id })).data.map((r) => r.id)).toEqual([direct.id]);
    await expect(h.stripe.creditNotes.create({ invoice: invoice.id, amount: 100, refunds: [{ refund: direct.id }] })).rejects.toMatchObject({ statusCode: 400 });
    // Still 1,400 left to credit (the linked refund is this note's).
    expect(await h.stripe.creditNotes.preview({ invoice: invoice.id, amount: 1_400, refund_amount: 1_400 })).toMatchObject({ amount: 1_400 });
    await expect(h.stripe.creditNotes.create({ invoice: invoice.id, amount: 1_401, refund_amount: 1_401 })).rejects.toMatchObject({ statusCode: 400 });

    // A refund of another invoice's charge cannot be linked.
    await paidInvoice(h.stripe, customer.id, 300);
    const [other] = (await h.stripe.charges.list({ customer: customer.id })).data;
    const otherRefund = await h.stripe.refunds.create({ charge: other?.id ?? '', amount: 100 });
    await expect(h.stripe.creditNotes.create({ invoice: invoice.id, amount: 100, refunds: [{ refund: otherRefund.id }] })).rejects.toMatchObject({
      statusCode: 400,
      param: 'refunds[0][refund]',
    });
  });

  it('replays an idempotent create: one note, one refund, the charge refunded once', async () => {
    const customer = await customerWith(h.stripe);
    const invoice = await paidInvoice(h.stripe, customer.id, 2_000);
    const charge = await chargeOf(h.stripe, customer.id);
    const params: Stripe.CreditNoteCreateParams = { invoice: invoice.id, amount: 900, refund_amount: 900, memo: 'Partial refund' };
    const first = await h.stripe.creditNotes.create(params, { idempotencyKey: 'refund-1' });
    const again = await h.stripe.creditNotes.create(params, { idempotencyKey: 'refund-1' });
    expect(again).toEqual(first);
    expect(again.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect((await h.stripe.refunds.list({ charge: charge.id })).data).toHaveLength(1);
    expect((await h.stripe.creditNotes.list({ invoice: invoice.id })).data.map((n) => n.id)).toEqual([first.id]);
    expect(await h.stripe.charges.retrieve(charge.id)).toMatchObject({ amount_refunded: 900 });
    await expect(h.stripe.creditNotes.create({ ...params, refund_amount: 800, credit_amount: 100 }, { idempotencyKey: 'refund-1' })).rejects.toMatchObject({
      type: 'StripeIdempotencyError',
    });
    // A refused request is not stored: the key can be retried with the same parameters.
    const tooMuch: Stripe.CreditNoteCreateParams = { invoice: invoice.id, amount: 1_200, refund_amount: 1_200 };
    await expect(h.stripe.creditNotes.create(tooMuch, { idempotencyKey: 'refund-2' })).rejects.toMatchObject({ statusCode: 400 });
    await expect(h.stripe.creditNotes.create(tooMuch, { idempotencyKey: 'refund-2' })).rejects.toMatchObject({ statusCode: 400 });
    expect(await h.stripe.charges.retrieve(charge.id)).toMatchObject({ amount_refunded: 900 });
  });
});

describe('local Stripe refunds through credit notes in the state file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'local-stripe-cn-refund-'));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the note, its refund and the charge across a restart, and replays the key', async () => {
    const stateFile = join(dir, 'stripe.json');
    const start = async () => {
      const local = await startLocalStripe({ port: await freePort(), clock: new SimulatedClock({ frozen: true, start: START }), stateFile });
      return { local, stripe: new Stripe('sk_test_local', { host: '127.0.0.1', port: local.port, protocol: 'http', maxNetworkRetries: 0 }) };
    };
    const first = await start();
    const customer = await customerWith(first.stripe);
    const invoice = await paidInvoice(first.stripe, customer.id, 1_000);
    const params: Stripe.CreditNoteCreateParams = { invoice: invoice.id, amount: 400, refund_amount: 400 };
    const note = await first.stripe.creditNotes.create(params, { idempotencyKey: 'cn-1' });
    await first.local.close();

    const second = await start();
    try {
      expect(await second.stripe.creditNotes.retrieve(note.id)).toMatchObject({ id: note.id, status: 'issued', amount: 400, refunds: note.refunds });
      const refund = await second.stripe.refunds.retrieve(idOf(note.refunds[0]?.refund));
      expect(await second.stripe.charges.retrieve(refund.charge as string)).toMatchObject({ amount_refunded: 400, refunded: false });
      const retried = await second.stripe.creditNotes.create(params, { idempotencyKey: 'cn-1' });
      expect(retried.id).toBe(note.id);
      expect((await second.stripe.refunds.list()).data).toHaveLength(1);
      await expect(second.stripe.creditNotes.voidCreditNote(note.id)).rejects.toMatchObject({ statusCode: 400 });
    } finally {
      await second.local.close();
    }
  });
});
