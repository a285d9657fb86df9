import type Stripe from 'stripe';
import { invalidRequest } from '../errors';
import { newId } from '../ids';
import { type CreditNoteLineSpec, newCreditNote, newCreditNoteLine } from '../objects/credit-note';
import { customerIdOf } from '../objects/subscription';
import { markPaid } from './collection';
import { type BillingContext, updateInvoice } from './context';
import { moveBalance } from './customer-balance';
import { refundCharge } from './payments';

/**
 * Credit notes: the money a note takes off an invoice and where it goes. Following Stripe, a note
 * first reduces what is still owed on the invoice (`pre_payment_amount`); the rest
 * (`post_payment_amount`) must be split exactly into `credit_amount` (customer balance),
 * refunds (`refund_amount`: a new Refund on the invoice's charge; `refunds`: existing Refunds of
 * that charge linked to the note) and `out_of_band_amount`, with no defaults (API 2019-12-03 on).
 */
export interface LinkedRefund {
  readonly refund: Stripe.Refund;
  /** `amount_refunded`: the part of the refund this note accounts for (default: all of it). */
  readonly amount: number | null;
  /** The `refunds[i]` prefix of the request, for errors. */
  readonly param: string;
}

export interface CreditNoteRequest {
  readonly invoice: Stripe.Invoice;
  readonly lines: readonly CreditNoteLineSpec[] | null;
  readonly amount: number | null;
  readonly creditAmount: number;
  readonly refundAmount: number;
  readonly refunds: readonly LinkedRefund[];
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

const idOf = (ref: string | { id: string } | null): string | null => (ref === null ? null : typeof ref === 'string' ? ref : ref.id);

/** The succeeded, captured charge that paid the invoice (through its PaymentIntent), if a card paid it. */
export const invoiceCharge = (ctx: BillingContext, invoice: Stripe.Invoice): Stripe.Charge | undefined => {
  const secret = invoice.confirmation_secret?.client_secret;
  const pi = secret ? [...ctx.state.paymentIntents.values()].find((p) => p.client_secret === secret) : undefined;
  if (!pi || pi.status !== 'succeeded') return undefined;
  const charge = ctx.state.charges.get(idOf(pi.latest_charge) ?? '');
  return charge && charge.status === 'succeeded' && charge.captured ? charge : undefined;
};

/** How much of a refund the issued notes account for. */
const linkedAmount = (ctx: BillingContext, refund: string): number =>
  [...ctx.state.creditNotes.values()]
    .filter((n) => n.status !== 'void')
    .flatMap((n) => n.refunds)
    .filter((r) => idOf(r.refund) === refund)
    .reduce((sum, r) => sum + r.amount_refunded, 0);

/** Refunds of the invoice's charge made outside credit notes (the Refunds API) and not linked to one. */
const unlinkedRefunds = (ctx: BillingContext, charge: Stripe.Charge | undefined): number =>
  charge
    ? [...ctx.state.refunds.values()]
        .filter((r) => r.charge === charge.id && r.status !== 'failed' && r.status !== 'canceled')
        .reduce((sum, r) => sum + Math.max(0, r.amount - linkedAmount(ctx, r.id)), 0)
    : 0;

/**
 * The credited amount left on an invoice: its total less its notes that are not void and, as
 * Stripe documents, less the refunds of its charge made through the Refunds API.
 */
export const creditableAmount = (ctx: BillingContext, invoice: Stripe.Invoice): number =>
  invoice.total -
  notesOf(ctx, invoice.id).filter((n) => n.status !== 'void').reduce((sum, n) => sum + n.amount, 0) -
  unlinkedRefunds(ctx, invoiceCharge(ctx, invoice));

/** The note's `refunds` entry for a refund. */
const refundEntry = (refund: string, amount: number): Stripe.CreditNote.Refund => ({ amount_refunded: amount, payment_record_refund: null, refund, type: 'refund' });

/** Checks the refunds a request asks for against the invoice's charge; answers the linked ones as the note shows them. */
const checkRefunds = (ctx: BillingContext, req: CreditNoteRequest): Stripe.CreditNote.Refund[] => {
  const invoice = req.invoice;
  if (req.refundAmount === 0 && req.refunds.length === 0) return [];
  const param = req.refundAmount > 0 ? 'refund_amount' : 'refunds';
  if (invoice.status !== 'paid')
    throw invalidRequest(`You can only refund a paid invoice. This invoice (${invoice.id}) is ${invoice.status ?? 'deleted'}.`, { param });
  const charge = invoiceCharge(ctx, invoice);
  if (!charge)
    throw invalidRequest(`This invoice (${invoice.id}) was not paid by a charge, so there is nothing to refund. Use credit_amount or out_of_band_amount.`, {
      param,
    });
  const refundable = charge.amount_captured - charge.amount_refunded;
  if (req.refundAmount > refundable)
    throw invalidRequest(`Refund amount (${req.refundAmount}) is greater than unrefunded amount on charge (${refundable}).`, { param: 'refund_amount' });
  const taken = new Map<string, number>();
  return req.refunds.map((linked) => {
    const refund = linked.refund;
    if (refund.charge !== charge.id)
      throw invalidRequest(`The refund ${refund.id} is not a refund of this invoice's charge (${charge.id}).`, { param: `${linked.param}[refund]` });
    const left = refund.amount - linkedAmount(ctx, refund.id) - (taken.get(refund.id) ?? 0);
    const amount = linked.amount ?? left;
    if (amount <= 0 || amount > left)
      throw invalidRequest(`The amount_refunded (${amount}) must be greater than 0 and at most what is left of refund ${refund.id} (${left}).`, {
        param: `${linked.param}[amount_refunded]`,
      });
    taken.set(refund.id, (taken.get(refund.id) ?? 0) + amount);
    return refundEntry(refund.id, amount);
  });
};

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
  const linked = checkRefunds(ctx, req);
  const linkedTotal = linked.reduce((sum, r) => sum + r.amount_refunded, 0);
  // Existing refunds this note links are what it credits, not something left out of it.
  const left = creditableAmount(ctx, invoice) + linkedTotal;
  if (amount > left)
    throw invalidRequest(`The credit note amount (${amount}) is greater than the amount left to credit on the invoice (${left}).`, {
      param: req.lines ? 'lines' : 'amount',
    });
  const prePayment = invoice.status === 'paid' ? 0 : Math.min(amount, invoice.amount_remaining);
  const postPayment = amount - prePayment;
  const refunded = req.refundAmount + linkedTotal;
  const outOfBand = req.outOfBandAmount ?? 0;
  if (req.creditAmount + refunded + outOfBand !== postPayment)
    throw invalidRequest(
      `The sum of credit_amount (${req.creditAmount}), refunds (${refunded}) and out_of_band_amount (${outOfBand}) must equal the post-payment amount of the credit note (${postPayment}).`,
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
    refunds: linked,
    lines,
    reason: req.reason,
    memo: req.memo,
    metadata: req.metadata,
    pdf: `${ctx.config.baseUrl}/credit_notes/${id}/pdf`,
    now: ctx.now(),
  });
};

const refundedBy = (note: Stripe.CreditNote): number => note.refunds.reduce((sum, r) => sum + r.amount_refunded, 0);

const creditToBalance = (note: Stripe.CreditNote): number => note.post_payment_amount - (note.out_of_band_amount ?? 0) - refundedBy(note);

const customerOfNote = (ctx: BillingContext, note: Stripe.CreditNote): Stripe.Customer | undefined =>
  ctx.state.customers.get(typeof note.customer === 'string' ? note.customer : note.customer.id);

/**
 * Issues the note: lowers what the invoice still owes (paid once nothing is left), refunds the
 * invoice's charge by `refund_amount` (a Refund: `refund.created`, `charge.refunded`), credits the
 * balance.
 */
export const issueCreditNote = (ctx: BillingContext, req: CreditNoteRequest): Stripe.CreditNote => {
  const note = draftCreditNote(ctx, req);
  const invoice = req.invoice;
  const charge = invoiceCharge(ctx, invoice);
  if (req.refundAmount > 0 && charge) {
    const refund = refundCharge(ctx, charge, { amount: req.refundAmount, reason: null, metadata: {} });
    note.refunds = [refundEntry(refund.id, refund.amount), ...note.refunds];
  }
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
  // A refund cannot be taken back, so neither can the note that records it.
  if (note.refunds.length > 0) throw invalidRequest(`This credit note (${note.id}) cannot be voided because it has refunds.`);
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
