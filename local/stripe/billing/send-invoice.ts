import type Stripe from 'stripe';
import { SECONDS } from '../config';
import { collect, finalizeInvoice, subscriptionOf } from './collection';
import { type BillingContext, updateSubscription } from './context';

/**
 * `collection_method: send_invoice`: Stripe never charges such an invoice on its own. It is
 * finalized with a due date, emailed (`invoice.sent`), and stays `open` until paid through
 * `POST /v1/invoices/:id/pay` (a payment method or `paid_out_of_band`). A subscription billed this
 * way becomes `past_due` when one of its invoices is still unpaid at its due date.
 */

/** The invoice fields a subscription's collection method gives the invoices it creates now. */
export const invoiceTermsOf = (
  ctx: BillingContext,
  sub: Stripe.Subscription,
): { collectionMethod: Stripe.Invoice.CollectionMethod; dueDate: number | null } => ({
  collectionMethod: sub.collection_method,
  dueDate: sub.collection_method === 'send_invoice' && sub.days_until_due !== null ? ctx.now() + sub.days_until_due * SECONDS.day : null,
});

const daysUntilDueOf = (ctx: BillingContext, invoice: Stripe.Invoice): number | null =>
  ctx.state.invoiceDaysUntilDue.get(invoice.id) ?? subscriptionOf(ctx, invoice)?.days_until_due ?? null;

/**
 * Draft -> open as its collection method asks. A `send_invoice` invoice with `days_until_due`
 * is due that many days after finalization (an explicit `due_date` stays), and no payment
 * attempt is scheduled.
 */
export const finalizeForCollection = (ctx: BillingContext, invoice: Stripe.Invoice): void => {
  if (invoice.collection_method === 'send_invoice') {
    const days = daysUntilDueOf(ctx, invoice);
    if (days !== null) invoice.due_date = ctx.now() + days * SECONDS.day;
  }
  // `finalizeInvoice` schedules no payment attempt for a `send_invoice` invoice.
  finalizeInvoice(ctx, invoice);
};

/** Emails the invoice (in test mode only the event): `invoice.sent`. */
export const sendInvoice = (ctx: BillingContext, invoice: Stripe.Invoice): void => {
  ctx.events.emit('invoice.sent', invoice);
};

/** After finalization, what Stripe does with an auto-advancing invoice: charge it, or send it. */
export const advanceFinalized = (ctx: BillingContext, invoice: Stripe.Invoice): void => {
  if (invoice.collection_method === 'send_invoice') {
    if (invoice.status === 'open' && invoice.auto_advance) sendInvoice(ctx, invoice);
  } else collect(ctx, invoice);
};

/** When an unpaid `send_invoice` invoice makes its (still active) subscription past due; null if it does not. */
export const overdueAt = (ctx: BillingContext, invoice: Stripe.Invoice): number | null => {
  if (invoice.collection_method !== 'send_invoice' || invoice.status !== 'open' || invoice.due_date === null) return null;
  if (invoice.amount_remaining === 0) return null;
  const sub = subscriptionOf(ctx, invoice);
  return sub?.status === 'active' ? invoice.due_date : null;
};

/** The due date passed unpaid: the subscription is `past_due` until its invoices are paid. */
export const markOverdue = (ctx: BillingContext, invoice: Stripe.Invoice): void => {
  const sub = subscriptionOf(ctx, invoice);
  if (sub?.status !== 'active') return;
  updateSubscription(ctx, sub, (s) => {
    s.status = 'past_due';
  });
};
