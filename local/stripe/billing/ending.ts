import type Stripe from 'stripe';
import type { BillingContext } from './context';
import { updateInvoice } from './context';
import { customerIdOf } from '../objects/subscription';

/**
 * Stops automatic collection of a customer's finalized invoices, as Stripe does by default when
 * a subscription is canceled, so no payment is attempted after the customer has left.
 */
export const stopCollection = (ctx: BillingContext, customer: string): void => {
  for (const invoice of ctx.state.invoices.values()) {
    if (invoice.customer !== customer || invoice.status !== 'open' || !invoice.auto_advance) continue;
    updateInvoice(ctx, invoice, (inv) => {
      inv.auto_advance = false;
      inv.next_payment_attempt = null;
    });
  }
};

/**
 * Ends a subscription now (immediate cancel, cancel at period end, final payment failure, a
 * canceled schedule): status `canceled`, `ended_at`, its schedule canceled, collection stopped,
 * `customer.subscription.deleted`.
 */
export const endSubscription = (
  ctx: BillingContext,
  sub: Stripe.Subscription,
  reason: Stripe.Subscription.CancellationDetails.Reason,
): void => {
  const now = ctx.now();
  sub.status = 'canceled';
  sub.ended_at = now;
  sub.canceled_at = sub.canceled_at ?? now;
  sub.cancel_at = null;
  sub.cancellation_details = {
    comment: sub.cancellation_details?.comment ?? null,
    feedback: sub.cancellation_details?.feedback ?? null,
    feedback_option: sub.cancellation_details?.feedback_option ?? null,
    reason: sub.cancellation_details?.reason ?? reason,
  };
  const scheduleId = typeof sub.schedule === 'string' ? sub.schedule : (sub.schedule?.id ?? null);
  const schedule = scheduleId ? ctx.state.schedules.get(scheduleId) : undefined;
  if (schedule && (schedule.status === 'active' || schedule.status === 'not_started')) {
    schedule.status = 'canceled';
    schedule.canceled_at = now;
    schedule.current_phase = null;
    // Stripe's `aborted`: the schedule ends because its subscription was canceled for delinquency.
    ctx.events.emit(reason === 'payment_failed' ? 'subscription_schedule.aborted' : 'subscription_schedule.canceled', schedule);
  }
  ctx.events.emit('customer.subscription.deleted', sub);
  for (const invoice of ctx.state.invoices.values())
    if (invoice.status === 'draft' && invoice.auto_advance && invoice.parent?.subscription_details?.subscription === sub.id)
      updateInvoice(ctx, invoice, (inv) => {
        inv.auto_advance = false;
        inv.automatically_finalizes_at = null;
      });
  stopCollection(ctx, typeof sub.customer === 'string' ? sub.customer : sub.customer.id);
};

/** Deletes a customer as Stripe does: its live subscriptions end now, its payment methods are detached, its tax IDs go. */
export const deleteCustomer = (ctx: BillingContext, customer: Stripe.Customer): void => {
  for (const sub of ctx.state.subscriptions.values())
    if (customerIdOf(sub.customer) === customer.id && !['canceled', 'incomplete_expired'].includes(sub.status))
      endSubscription(ctx, sub, 'cancellation_requested');
  for (const pm of ctx.state.paymentMethods.values()) if (pm.customer === customer.id) pm.customer = null;
  for (const [id, taxId] of ctx.state.taxIds) if (taxId.customer === customer.id) ctx.state.taxIds.delete(id);
  ctx.state.customers.delete(customer.id);
  ctx.state.deletedCustomers.add(customer.id);
  ctx.events.emit('customer.deleted', customer);
};
