import type Stripe from 'stripe';
import { formatAmount, formatDate } from '../billing/money';
import { countryName } from '../billing/tax';
import { ACCOUNT_ADDRESS, ACCOUNT_NAME } from '../config';

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** `1 Grand Canal Square, Dublin D02 P820, Ireland`. */
const addressLine = (address: Stripe.Address): string =>
  [
    address.line1,
    address.line2,
    [address.city, address.state, address.postal_code].filter(Boolean).join(' '),
    address.country ? countryName(address.country.toUpperCase()) : null,
  ]
    .filter(Boolean)
    .join(', ');

const percent = (value: number): string => `${Number(value.toFixed(4))}%`;

/** One row per tax rate: `VAT 20% on £79.00: £15.80`, or the reverse charge, with the rate from its `tax_rate` object. */
const taxRows = (invoice: Stripe.Invoice, rates: ReadonlyMap<string, Stripe.TaxRate>): string[] =>
  (invoice.total_taxes ?? []).flatMap((tax) => {
    const rate = tax.tax_rate_details ? rates.get(tax.tax_rate_details.tax_rate) : undefined;
    const name = rate?.display_name ?? 'Tax';
    const on = formatAmount(tax.taxable_amount ?? 0, invoice.currency);
    if (tax.taxability_reason === 'reverse_charge') return [`${name} 0% on ${on}: ${formatAmount(0, invoice.currency)} (Reverse charge)`];
    if (tax.taxability_reason === 'not_collecting') return [];
    const included = tax.tax_behavior === 'inclusive' ? ' (included)' : '';
    return [`${name} ${percent(rate?.effective_percentage ?? rate?.percentage ?? 0)} on ${on}${included}: ${formatAmount(tax.amount, invoice.currency)}`];
  });

const summary = (invoice: Stripe.Invoice, rates: ReadonlyMap<string, Stripe.TaxRate>): string[] => {
  const reverseCharge = (invoice.total_taxes ?? []).some((t) => t.taxability_reason === 'reverse_charge');
  return [
    `${ACCOUNT_NAME}, ${addressLine(ACCOUNT_ADDRESS)}`,
    `Invoice ${invoice.number ?? invoice.id} (${invoice.status ?? 'deleted'})`,
    `Created ${formatDate(invoice.created)}`,
    `Bill to: ${[invoice.customer_name ?? invoice.customer_email, invoice.customer_address ? addressLine(invoice.customer_address) : null].filter(Boolean).join(', ')}`,
    ...(invoice.customer_tax_ids ?? []).map((t) => `Customer tax ID (${t.type}): ${t.value ?? ''}`),
    ...invoice.lines.data.map((l) => `${l.description ?? ''}: ${formatAmount(l.amount, l.currency)}`),
    `Subtotal: ${formatAmount(invoice.subtotal, invoice.currency)}`,
    ...(invoice.total_discount_amounts ?? []).filter((d) => d.amount > 0).map((d) => `Discount: ${formatAmount(-d.amount, invoice.currency)}`),
    ...taxRows(invoice, rates),
    ...(reverseCharge ? ['Reverse charge: tax to be paid by the customer on the reverse charge basis'] : []),
    `Total: ${formatAmount(invoice.total, invoice.currency)}`,
    `Amount due: ${formatAmount(invoice.amount_due, invoice.currency)}`,
    `Amount paid: ${formatAmount(invoice.amount_paid, invoice.currency)}`,
  ];
};

/** The `hosted_invoice_url` page: seller, customer, lines, tax per rate and totals. */
export const hostedInvoicePage = (invoice: Stripe.Invoice, rates: ReadonlyMap<string, Stripe.TaxRate>): string =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(invoice.number ?? invoice.id)}</title></head><body><h1>Local Stripe invoice</h1><ul>${summary(
    invoice,
    rates,
  )
    .map((line) => `<li>${escapeHtml(line)}</li>`)
    .join('')}</ul></body></html>`;

/**
 * The text as the PDF's WinAnsi-encoded Helvetica writes it: Latin-1 as is, the euro sign as
 * 0x80, anything else `?`; PDF string delimiters escaped.
 */
const winAnsi = (text: string): string =>
  text
    .replace(/€/g, '\x80')
    .replace(/[^\x20-\xff]/g, '?')
    .replace(/[\\()]/g, (c) => `\\${c}`);

/** The `invoice_pdf` download: a one-page PDF with the same summary. */
export const invoicePdf = (invoice: Stripe.Invoice, rates: ReadonlyMap<string, Stripe.TaxRate>): Buffer => {
  const text = ['BT', '/F1 11 Tf', '40 800 Td', '15 TL', ...summary(invoice, rates).map((line) => `(${winAnsi(line)}) '`), 'ET'].join('\n');
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${Buffer.byteLength(text, 'latin1')} >>\nstream\n${text}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>',
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(out, 'latin1'));
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out, 'latin1');
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
};
