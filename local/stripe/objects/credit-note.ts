import Stripe from 'stripe';

export interface CreditNoteLineSpec {
  readonly type: 'custom_line_item' | 'invoice_line_item';
  readonly invoiceLineItem: string | null;
  readonly description: string | null;
  readonly quantity: number | null;
  readonly unitAmount: number | null;
  readonly amount: number;
  readonly metadata: Record<string, string>;
}

export const newCreditNoteLine = (id: string, spec: CreditNoteLineSpec): Stripe.CreditNoteLineItem => ({
  id,
  object: 'credit_note_line_item',
  amount: spec.amount,
  description: spec.description,
  discount_amount: 0,
  discount_amounts: [],
  ...(spec.invoiceLineItem ? { invoice_line_item: spec.invoiceLineItem } : {}),
  livemode: false,
  metadata: spec.metadata,
  pretax_credit_amounts: [],
  quantity: spec.quantity,
  tax_rates: [],
  taxes: [],
  type: spec.type,
  unit_amount: spec.unitAmount,
  unit_amount_decimal: spec.unitAmount === null ? null : Stripe.Decimal.from(spec.unitAmount),
});

export const newCreditNote = (input: {
  id: string;
  number: string;
  invoice: Stripe.Invoice;
  customer: string;
  amount: number;
  prePayment: number;
  postPayment: number;
  outOfBand: number | null;
  refunds: Stripe.CreditNote.Refund[];
  lines: Stripe.CreditNoteLineItem[];
  reason: Stripe.CreditNote.Reason | null;
  memo: string | null;
  metadata: Record<string, string>;
  pdf: string;
  now: number;
}): Stripe.CreditNote => ({
  id: input.id,
  object: 'credit_note',
  amount: input.amount,
  amount_shipping: 0,
  created: input.now,
  currency: input.invoice.currency,
  customer: input.customer,
  customer_account: null,
  customer_balance_transaction: null,
  discount_amount: 0,
  discount_amounts: [],
  effective_at: input.now,
  invoice: input.invoice.id,
  lines: { object: 'list', data: input.lines, has_more: false, url: `/v1/credit_notes/${input.id}/lines` },
  livemode: false,
  memo: input.memo,
  metadata: input.metadata,
  number: input.number,
  out_of_band_amount: input.outOfBand,
  pdf: input.pdf,
  post_payment_amount: input.postPayment,
  pre_payment_amount: input.prePayment,
  pretax_credit_amounts: [],
  reason: input.reason,
  refunds: input.refunds,
  shipping_cost: null,
  status: 'issued',
  subtotal: input.amount,
  subtotal_excluding_tax: input.amount,
  total: input.amount,
  total_excluding_tax: input.amount,
  total_taxes: [],
  type: input.prePayment > 0 && input.postPayment > 0 ? 'mixed' : input.postPayment > 0 ? 'post_payment' : 'pre_payment',
  voided_at: null,
});
