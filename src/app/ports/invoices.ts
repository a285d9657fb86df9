import type { Currency } from '../../domain/money';
import type { InvoiceLineKind, InvoiceStatus } from './payments';

/** One tax on an amount: the rate (percent), where, on how much, and why (SPEC section 4a). */
export interface InvoiceTax {
  readonly amount: number;
  readonly taxable_amount: number;
  readonly percentage: number | null;
  readonly country: string | null;
  readonly jurisdiction: string | null;
  /** Stripe's `taxability_reason`: `standard_rated`, `reverse_charge`, `not_collecting`, ... */
  readonly taxability_reason: string | null;
  readonly reverse_charge: boolean;
}

export interface InvoiceLine {
  readonly description: string;
  /** Before tax. */
  readonly amount: number;
  readonly quantity: number;
  readonly kind: InvoiceLineKind;
  readonly period_start: string;
  readonly period_end: string;
  readonly taxes: readonly InvoiceTax[];
  /** What the invoice's discounts took off this line (minor units); absent on mirrors written before discounts. */
  readonly discount_amount?: number;
}

/** What one discount took off an invoice: the coupon's name, the code redeemed, the amount (minor units). */
export interface InvoiceDiscount {
  readonly name: string | null;
  readonly code: string | null;
  readonly amount: number;
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
  /** The sum of what the discounts took off (Stripe's `total_discount_amounts`); absent on mirrors written before discounts. */
  readonly total_discount?: number;
  readonly discounts?: readonly InvoiceDiscount[];
  /** After discounts, before tax. */
  readonly total_excluding_tax: number;
  readonly tax: number;
  readonly total: number;
  /** One entry per rate; `reverse_charge` when the customer accounts for the VAT itself. */
  readonly taxes: readonly InvoiceTax[];
  readonly reverse_charge: boolean;
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
