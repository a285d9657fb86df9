import type { Clock } from '../../platform/clock';
import { Conflict, InvalidInput, NotFound, PaymentRequired } from '../errors';
import type { EventPublisher } from '../events/publisher';
import type { Actor } from '../ports/billing-events';
import type { EntitlementAnnouncer } from '../ports/entitlements';
import type { Invoice, InvoiceStore } from '../ports/invoices';
import type { PaymentProvider } from '../ports/payments';
import type { SubscriptionStore } from '../ports/subscriptions';
import type { TenantProfile, TenantStore } from '../ports/tenants';
import type { SubscriptionMirror } from '../billing/mirror';
import { storedInvoice } from '../billing/views';

const DAY_MS = 86_400_000;
/** An admin extends a tenant's trial at most once in this long (SPEC section 7, issue 19). */
const TRIAL_EXTENSION_EVERY_MS = 7 * DAY_MS;
/** How far ahead a trial may be moved: as long as the longest trial a create may give. */
const LONGEST_TRIAL_MS = 30 * DAY_MS;

export interface AdminActionDeps {
  readonly provider: Pick<PaymentProvider, 'creditBalance' | 'refundInvoice' | 'extendTrial' | 'payInvoice' | 'getInvoice'>;
  readonly tenants: Pick<TenantStore, 'get'>;
  readonly subscriptions: Pick<SubscriptionStore, 'get'>;
  readonly invoices: Pick<InvoiceStore, 'save'> & { get(tenantId: string, invoiceId: string): Promise<Invoice | null> };
  readonly mirror: Pick<SubscriptionMirror, 'save'>;
  /** The audit trail, read to keep trial extensions to one a week. */
  readonly events: {
    list(tenantId: string, options: { limit: number; type?: string; from?: string; cursor?: string }): Promise<{ items: readonly unknown[]; nextCursor: string | null }>;
  };
  readonly publisher: EventPublisher;
  readonly entitlements: EntitlementAnnouncer;
  readonly clock: Clock;
}

/** Every action's request: who asked, why, and the request's `Idempotency-Key` (its Stripe key derives from it). */
export interface ActionContext {
  readonly admin: Actor;
  readonly reason: string;
  readonly idempotencyKey: string;
}

/**
 * What an operator does for a tenant without the Stripe Dashboard (SPEC section 7): a credit
 * to the customer balance, a refund through a credit note, a trial extension, a payment retried
 * now. Each is made in Stripe first with a key derived from the request's `Idempotency-Key` (a
 * retried request is the same Stripe request), mirrored, and recorded in the tenant's audit trail
 * naming the admin and the reason, under an id derived from the same key (recorded once).
 */
export class AdminActions {
  constructor(private readonly deps: AdminActionDeps) {}

  async credit(tenantId: string, ctx: ActionContext, input: { amount: number; currency: string }) {
    const profile = await this.customerOf(tenantId);
    const currency = input.currency.toLowerCase();
    if (profile.currency && currency !== profile.currency) {
      throw new InvalidInput('Invalid credit', [{ field: 'currency', message: `must be ${profile.currency}, the currency this tenant is billed in` }]);
    }
    const txn = await this.deps.provider.creditBalance({
      customerId: profile.stripe_customer_id,
      amount: input.amount,
      currency,
      description: `Credit by ${adminOf(ctx)}: ${ctx.reason}`,
      idempotencyKey: `admin-credit:${tenantId}:${ctx.idempotencyKey}`,
    });
    const credit = { id: txn.id, amount: input.amount, currency, reason: ctx.reason, ending_balance: txn.endingBalance };
    await this.record(tenantId, ctx, 'admin.credit_granted', credit);
    return { credit };
  }

  async refund(tenantId: string, ctx: ActionContext, input: { invoice_id: string; amount?: number | undefined }) {
    await this.customerOf(tenantId);
    const invoice = await this.invoiceOf(tenantId, input.invoice_id);
    if (invoice.status !== 'paid') throw new Conflict(`Only a paid invoice can be refunded; ${invoice.id} is ${invoice.status}`);
    const amount = input.amount ?? invoice.amount_paid;
    if (amount <= 0 || amount > invoice.amount_paid) {
      throw new InvalidInput('Invalid refund', [{ field: 'amount', message: `must be between 1 and ${invoice.amount_paid}, what was paid` }]);
    }
    const note = await this.deps.provider.refundInvoice({
      invoiceId: invoice.id,
      amount,
      memo: `Refund by ${adminOf(ctx)}: ${ctx.reason}`,
      idempotencyKey: `admin-refund:${tenantId}:${ctx.idempotencyKey}`,
    });
    await this.deps.invoices.save(storedInvoice(await this.deps.provider.getInvoice(invoice.id), tenantId), new Date());
    const refund = { credit_note_id: note.creditNoteId, invoice_id: invoice.id, amount: note.amount, currency: invoice.currency, reason: ctx.reason };
    await this.record(tenantId, ctx, 'admin.refund_issued', refund);
    return { refund };
  }

  async extendTrial(tenantId: string, ctx: ActionContext, input: { trial_end: string }) {
    const profile = await this.customerOf(tenantId);
    const sub = profile.current_subscription_id ? await this.deps.subscriptions.get(tenantId, profile.current_subscription_id) : null;
    if (!sub || sub.status !== 'trialing' || !sub.trial_end) throw new Conflict('Only a trialing subscription can have its trial extended');
    const now = this.deps.clock.now();
    const trialEnd = new Date(input.trial_end);
    if (trialEnd.getTime() <= Date.parse(sub.trial_end)) {
      throw new InvalidInput('Invalid trial end', [{ field: 'trial_end', message: `must be after the current trial end, ${sub.trial_end}` }]);
    }
    if (trialEnd.getTime() > now.getTime() + LONGEST_TRIAL_MS) {
      throw new InvalidInput('Invalid trial end', [{ field: 'trial_end', message: 'must be at most 30 days from now' }]);
    }
    if (await this.extendedSince(tenantId, new Date(now.getTime() - TRIAL_EXTENSION_EVERY_MS))) {
      throw new Conflict("This tenant's trial was extended in the last 7 days; once a week at most");
    }
    const readAt = new Date();
    const updated = await this.deps.provider.extendTrial(sub.id, trialEnd, `admin-trial:${tenantId}:${ctx.idempotencyKey}`);
    const stored = await this.deps.mirror.save(tenantId, updated, readAt);
    await this.record(tenantId, ctx, 'admin.trial_extended', { subscription_id: sub.id, from: sub.trial_end, to: stored.trial_end, reason: ctx.reason });
    await this.deps.entitlements.announce(tenantId);
    return { subscription_id: sub.id, trial_end: stored.trial_end };
  }

  async retryPayment(tenantId: string, ctx: ActionContext, input: { invoice_id: string }) {
    await this.customerOf(tenantId);
    const invoice = await this.invoiceOf(tenantId, input.invoice_id);
    if (invoice.status !== 'open') throw new Conflict(`Only an open invoice can be paid; ${invoice.id} is ${invoice.status}`);
    let paid: Invoice | null = null;
    let failure: PaymentRequired | null = null;
    try {
      paid = storedInvoice(await this.deps.provider.payInvoice(invoice.id, `admin-pay:${tenantId}:${ctx.idempotencyKey}`), tenantId);
    } catch (error) {
      if (!(error instanceof PaymentRequired)) throw error;
      failure = error;
    }
    const after = paid ?? storedInvoice(await this.deps.provider.getInvoice(invoice.id), tenantId);
    await this.deps.invoices.save(after, new Date());
    await this.record(tenantId, ctx, 'admin.payment_retried', {
      invoice_id: invoice.id,
      outcome: failure ? 'failed' : 'paid',
      amount_due: invoice.amount_due,
      ...(failure ? { failure: failure.message } : {}),
      reason: ctx.reason,
    });
    await this.deps.entitlements.announce(tenantId);
    if (failure) throw failure;
    return { invoice: { id: after.id, status: after.status, amount_paid: after.amount_paid, amount_due: after.amount_due } };
  }

  /** Whether the audit trail has a trial extension since `from` (the type is a filter: pages may come back short, so read on). */
  private async extendedSince(tenantId: string, from: Date): Promise<boolean> {
    let cursor: string | undefined;
    for (let pages = 0; pages < 50; pages += 1) {
      const page = await this.deps.events.list(tenantId, { limit: 100, type: 'admin.trial_extended', from: from.toISOString(), ...(cursor ? { cursor } : {}) });
      if (page.items.length > 0) return true;
      if (!page.nextCursor) return false;
      cursor = page.nextCursor;
    }
    // Thousands of events in a week: refuse rather than risk a second extension.
    return true;
  }

  private async customerOf(tenantId: string): Promise<TenantProfile & { stripe_customer_id: string }> {
    const profile = await this.deps.tenants.get(tenantId);
    if (!profile.stripe_customer_id) throw new NotFound(`No tenant ${tenantId}`);
    return { ...profile, stripe_customer_id: profile.stripe_customer_id };
  }

  private async invoiceOf(tenantId: string, invoiceId: string): Promise<Invoice> {
    const invoice = await this.deps.invoices.get(tenantId, invoiceId);
    if (!invoice) throw new NotFound(`No invoice ${invoiceId} of tenant ${tenantId}`);
    return invoice;
  }

  private async record(tenantId: string, ctx: ActionContext, type: string, data: Record<string, unknown>): Promise<void> {
    await this.deps.publisher.publish(tenantId, {
      id: `${type}:${tenantId}:${ctx.idempotencyKey}`,
      type,
      actor: ctx.admin,
      occurredAt: this.deps.clock.now(),
      data,
    });
  }
}

const adminOf = (ctx: ActionContext): string => (ctx.admin.type === 'user' ? ctx.admin.id : ctx.admin.type);
