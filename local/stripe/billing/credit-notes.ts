import type Stripe from 'stripe';
import { invalidRequest } from '../errors';
import { newId } from '../ids';
import { type CreditNoteLineSpec, newCreditNote, newCreditNoteLine } from '../objects/credit-note';
import { customerIdOf } from '../objects/subscription';
import { markPaid } from './collection';
import { type BillingContext, updateInvoice } from './context';
import { moveBalance } from './customer-balance';

/**
 * Credit notes: the money a note takes off an invoice and where it goes. Following Stripe, a note
 * first reduces what is still owed on the invoice (`pre_payment_amount`); the rest
 * (`post_payment_amount`) must be split exactly into `credit_amount` (customer balance) and
 * `out_of_band_amount`. Refunds through credit notes are not modelled.
 */
export interface CreditNoteRequest {
  readonly invoice: Stripe.Invoice;
  readonly lines: readonly CreditNoteLineSpec[] | null;
  readonly amount: number | null;
  readonly creditAmount: number;
  readonly outOfBandAmount: number | null;
  readonly reason: Stripe.CreditNote.Reason | null;
  readonly memo: string | null;
  readonly metadata: Record<string, string>;
}

const CREDITABLE: readonly (Stripe.Invoice.Status | null)[] = ['open', 'paid', 'uncollectible'];

/** What a line of the invoice is worth per unit once its discounts are off. */
export const netLineAmount = (line: Stripe.InvoiceLineItem): number =>
  line.amount - (line.discount_amounts ?? []).reduce((sum, d) => sum + d.amount, 0);

export const notesOf = (ctx: BillingContext, invoice: string): Stripe.CreditNote[] =>
  [...ctx.state.creditNotes.values()].filter((n) => (typeof n.invoice === 'string' ? n.invoice : n.invoice.id) === invoice);

/** The credited amount left on an invoice: its total less its notes that are not void. */
export const creditableAmount = (ctx: BillingContext, invoice: Stripe.Invoice): number =>
  invoice.total - notesOf(ctx, invoice.id).filter((n) => n.status !== 'void').reduce((sum, n) => sum + n.amount, 0);

/** Builds the credit note a request describes, checking it; nothing is changed (also the preview). */
export const draftCreditNote = (ctx: BillingContext, req: CreditNoteRequest): Stripe.CreditNote => {
  const invoice = req.invoice;
  if (!CREDITABLE.includes(invoice.status))
    throw invalidRequest(`You can only create credit notes for finalized invoices. This invoice (${invoice.id}) is ${invoice.status ?? 'deleted'}.`, {
      param: 'invoice',
    });
  const id = newId('cn');
  const lines = (req.lines ?? []).map((spec) => newCreditNoteLine(newId('cnli'), spec));
  const linesTotal = lines.reduce((sum, l) => sum + l.amount, 0);
  if (req.lines && req.amount !== null && req.amount !== linesTotal)
    throw invalidRequest(`The amount (${req.amount}) must equal the sum of the line amounts (${linesTotal}).`, { param: 'amount' });
  const amount = req.lines ? linesTotal : (req.amount ?? 0);
  if (amount <= 0) throw invalidRequest('The credit note amount must be greater than 0.', { param: req.lines ? 'lines' : 'amount' });
  const left = creditableAmount(ctx, invoice);
  if (amount > left)
    throw invalidRequest(`The credit note amount (${amount}) is greater than the amount left to credit on the invoice (${left}).`, {
      param: req.lines ? 'lines' : 'amount',
    });
  const prePayment = invoice.status === 'paid' ? 0 : Math.min(amount, invoice.amount_remaining);
  const postPayment = amount - prePayment;
  const outOfBand = req.outOfBandAmount ?? 0;
  if (req.creditAmount + outOfBand !== postPayment)
    throw invalidRequest(
      `The sum of credit_amount (${req.creditAmount}), refund_amount (0) and out_of_band_amount (${outOfBand}) must equal the post-payment amount of the credit note (${postPayment}).`,
    );
  const sequence = notesOf(ctx, invoice.id).length + 1;
  return newCreditNote({
    id,
    number: `${invoice.number ?? invoice.id}-CN-${String(sequence).padStart(2, '0')}`,
    invoice,
    customer: customerIdOf(invoice.customer ?? ''),
    amount,
    prePayment,
    postPayment,
    outOfBand: req.outOfBandAmount,
    lines,
    reason: req.reason,
    memo: req.memo,
    metadata: req.metadata,
    pdf: `${ctx.config.baseUrl}/credit_notes/${id}/pdf`,
    now: ctx.now(),
  });
};

const creditToBalance = (note: Stripe.CreditNote): number => note.post_payment_amount - (note.out_of_band_amount ?? 0);

const customerOfNote = (ctx: BillingContext, note: Stripe.CreditNote): Stripe.Customer | undefined =>
  ctx.state.customers.get(typeof note.customer === 'string' ? note.customer : note.customer.id);

/** Issues the note: lowers what the invoice still owes (paid once nothing is left), credits the balance. */
export const issueCreditNote = (ctx: BillingContext, req: CreditNoteRequest): Stripe.CreditNote => {
  const note = draftCreditNote(ctx, req);
  const invoice = req.invoice;
  const credit = creditToBalance(note);
  const customer = customerOfNote(ctx, note);
  // The note names the balance transaction that records its credit (recorded below).
  const txnId = credit > 0 && customer ? newId('cbtxn') : null;
  note.customer_balance_transaction = txnId;
  ctx.state.creditNotes.set(note.id, note);
  ctx.events.emit('credit_note.created', note);
  updateInvoice(ctx, invoice, (inv) => {
    inv.pre_payment_credit_notes_amount += note.pre_payment_amount;
    inv.post_payment_credit_notes_amount += note.post_payment_amount;
    inv.amount_due -= note.pre_payment_amount;
    inv.amount_remaining -= note.pre_payment_amount;
  });
  if (invoice.status === 'open' && note.pre_payment_amount > 0 && invoice.amount_remaining === 0) markPaid(ctx, invoice);
  if (txnId && customer)
    moveBalance(ctx, customer, { id: txnId, amount: -credit, currency: note.currency, type: 'credit_note', creditNote: note.id, invoice: invoice.id });
  return note;
};

/** Voids an issued note and undoes what it did. */
export const voidCreditNote = (ctx: BillingContext, note: Stripe.CreditNote): void => {
  if (note.status !== 'issued') throw invalidRequest(`This credit note (${note.id}) is already void.`);
  const invoice = ctx.state.invoices.get(typeof note.invoice === 'string' ? note.invoice : note.invoice.id);
  if (invoice && invoice.status === 'paid' && note.pre_payment_amount > 0)
    throw invalidRequest(`This credit note (${note.id}) cannot be voided: its invoice (${invoice.id}) has since been paid.`);
  note.status = 'void';
  note.voided_at = ctx.now();
  ctx.events.emit('credit_note.voided', note);
  if (invoice)
    updateInvoice(ctx, invoice, (inv) => {
      inv.pre_payment_credit_notes_amount -= note.pre_payment_amount;
      inv.post_payment_credit_notes_amount -= note.post_payment_amount;
      inv.amount_due += note.pre_payment_amount;
      inv.amount_remaining += note.pre_payment_amount;
    });
  // Stripe has no type of its own for the reversal: a `credit_note` transaction debiting the credit back.
  const credit = creditToBalance(note);
  const customer = customerOfNote(ctx, note);
  if (credit > 0 && customer)
    moveBalance(ctx, customer, { amount: credit, currency: note.currency, type: 'credit_note', creditNote: note.id, invoice: invoice?.id ?? null });
};
