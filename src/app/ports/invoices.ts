import type { Currency } from '../../domain/money';
import type { InvoiceLineKind, InvoiceStatus } from './payments';

export interface InvoiceLine {
  readonly description: string;
  readonly amount: number;
  readonly quantity: number;
  readonly kind: InvoiceLineKind;
  readonly period_start: string;
  readonly period_end: string;
}

/** The SPEC section 8 invoice shape, with its lines. */
export interface Invoice {
  readonly id: string;
  readonly tenant_id: string;
  readonly subscription_id: string | null;
  readonly number: string | null;
  readonly status: InvoiceStatus;
  readonly billing_reason: string | null;
  readonly currency: Currency;
  readonly subtotal: number;
  readonly tax: number;
  readonly total: number;
  readonly amount_paid: number;
  readonly amount_due: number;
  readonly attempt_count: number;
  readonly next_payment_attempt: string | null;
  readonly period_start: string;
  readonly period_end: string;
  readonly hosted_invoice_url: string | null;
  readonly invoice_pdf: string | null;
  readonly created_at: string;
  readonly lines: readonly InvoiceLine[];
}

/** Our mirror of each tenant's Stripe invoices. */
export interface InvoiceStore {
  /** Writes the mirror unless a newer read of the same invoice is stored; false when it was not written. */
  save(invoice: Invoice, syncedAt: Date): Promise<boolean>;
  /** A subscription's renewal invoice for the period ending at `periodEnd`, while it is still a draft. */
  draftRenewal(tenantId: string, subscriptionId: string, periodEnd: string): Promise<Invoice | null>;
}
