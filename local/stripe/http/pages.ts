import type Stripe from 'stripe';
import { formatAmount, formatDate } from '../billing/money';

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

const summary = (invoice: Stripe.Invoice): string[] => [
  `Invoice ${invoice.number ?? invoice.id} (${invoice.status ?? 'deleted'})`,
  `Created ${formatDate(invoice.created)}`,
  ...invoice.lines.data.map((l) => `${l.description ?? ''}: ${formatAmount(l.amount, l.currency)}`),
  `Total: ${formatAmount(invoice.total, invoice.currency)}`,
  `Amount due: ${formatAmount(invoice.amount_due, invoice.currency)}`,
  `Amount paid: ${formatAmount(invoice.amount_paid, invoice.currency)}`,
];

/** The `hosted_invoice_url` page: a plain summary, since nothing can be paid here. */
export const hostedInvoicePage = (invoice: Stripe.Invoice): string =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(invoice.number ?? invoice.id)}</title></head><body><h1>Local Stripe invoice</h1><ul>${summary(
    invoice,
  )
    .map((line) => `<li>${escapeHtml(line)}</li>`)
    .join('')}</ul></body></html>`;

/** The `invoice_pdf` download: a one-page PDF with the same summary. */
export const invoicePdf = (invoice: Stripe.Invoice): Buffer => {
  const ascii = (text: string): string => text.replace(/[^\x20-\x7e]/g, '?').replace(/[\\()]/g, (c) => `\\${c}`);
  const text = ['BT', '/F1 12 Tf', '50 780 Td', '16 TL', ...summary(invoice).map((line) => `(${ascii(line)}) '`), 'ET'].join('\n');
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${Buffer.byteLength(text)} >>\nstream\n${text}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(out));
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out);
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
};
