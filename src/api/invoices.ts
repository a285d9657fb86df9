/** The contract of the `invoices` routes (see `define.ts`): the tenant's invoices, mirrored from Stripe. */
import * as z from 'zod';
import { contract, lazy, type OperationContract } from './define';
import { currency, instant, minorUnits, nextCursor } from './fields';

const listQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(2048).optional(),
});

const taxSchema = lazy(() =>
  z
    .strictObject({
      amount: minorUnits,
      taxable_amount: minorUnits,
      percentage: z.number().nullable(),
      country: z.string().nullable(),
      jurisdiction: z.string().nullable(),
      taxability_reason: z.string().nullable().meta({ description: "Stripe's `taxability_reason`: `standard_rated`, `reverse_charge`, `not_collecting`, ..." }),
      reverse_charge: z.boolean(),
    })
    .meta({ id: 'InvoiceTax', description: 'One tax on an amount: the rate, where, on how much, and why' }),
);

const lineSchema = lazy(() =>
  z
    .strictObject({
      description: z.string(),
      amount: minorUnits.meta({ description: 'Before tax' }),
      quantity: z.number(),
      kind: z.enum(['subscription', 'proration', 'overage', 'other']),
      period_start: instant,
      period_end: instant,
      taxes: z.array(taxSchema()),
      discount_amount: minorUnits.meta({ description: "What the invoice's discounts took off this line" }),
    })
    .meta({ id: 'InvoiceLine' }),
);

const invoiceFields = lazy(() => ({
  id: z.string(),
  subscription_id: z.string().nullable(),
  number: z.string().nullable(),
  status: z.enum(['draft', 'open', 'paid', 'uncollectible', 'void']),
  billing_reason: z.string().nullable(),
  currency,
  subtotal: minorUnits,
  total_discount: minorUnits,
  discounts: z.array(z.strictObject({ name: z.string().nullable(), code: z.string().nullable(), amount: minorUnits })),
  total_excluding_tax: minorUnits.meta({ description: 'After discounts, before tax' }),
  tax: minorUnits,
  total: minorUnits,
  taxes: z.array(taxSchema()),
  reverse_charge: z.boolean().meta({ description: 'The customer accounts for the VAT itself' }),
  amount_paid: minorUnits,
  amount_due: minorUnits,
  attempt_count: z.int().nonnegative(),
  next_payment_attempt: instant.nullable(),
  period_start: instant,
  period_end: instant,
  hosted_invoice_url: z.string().nullable(),
  invoice_pdf: z.string().nullable(),
  created_at: instant,
}));

/** An invoice in a list: without its lines. */
export const invoiceSummarySchema = lazy(() => z.strictObject(invoiceFields()).meta({ id: 'InvoiceSummary' }));
/** An invoice with its lines (SPEC section 8). */
export const invoiceSchema = lazy(() => z.strictObject({ ...invoiceFields(), lines: z.array(lineSchema()) }).meta({ id: 'Invoice' }));

export const invoicesApi = {
  listInvoices: contract({
    summary: "List the tenant's invoices",
    description: 'Newest first, paginated.',
    query: listQuery,
    responses: () => ({
      200: {
        description: 'A page of invoices.',
        schema: z.strictObject({ invoices: z.array(invoiceSummarySchema()), next_cursor: nextCursor }),
      },
    }),
    example: { query: { limit: '10' } },
  }),
  getInvoice: contract({
    summary: 'One invoice with its lines',
    params: { id: "The invoice's id (`in_...`)" },
    responses: () => ({ 200: { description: 'The invoice.', schema: z.strictObject({ invoice: invoiceSchema() }) } }),
    errors: { 404: "No such invoice (also for another tenant's)." },
  }),
} as const satisfies Record<string, OperationContract>;
