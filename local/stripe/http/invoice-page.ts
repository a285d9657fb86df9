import type { InvoiceDocument, Party } from './invoice-document';

/** A call to action above the invoice, e.g. the 3-D Secure step an open invoice waits for. */
export interface InvoiceAction {
  readonly href: string;
  readonly label: string;
}

const esc = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

const STYLE = [
  'body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;background:#f6f8fa;color:#1a1f36;margin:0;padding:2rem 1rem;line-height:1.45}',
  'main{max-width:46rem;margin:0 auto;background:#fff;border-radius:10px;box-shadow:0 1px 4px rgba(0,0,0,.08);padding:2rem}',
  '.seller-name{font-weight:600;color:#697386}',
  'h1{font-size:1.6rem;margin:.25rem 0}',
  'h2{font-size:.8rem;text-transform:uppercase;letter-spacing:.04em;color:#697386;margin:0 0 .25rem}',
  '.status{font-size:.9rem;font-weight:600;border-radius:4px;padding:.1rem .4rem;background:#e3e8ee;color:#3c4257;vertical-align:middle}',
  '.status-paid{background:#d7f7c2;color:#05690d}.status-open{background:#fcedb9;color:#a04100}',
  '.status-uncollectible{background:#ffe7f2;color:#b3063d}',
  '.headline{font-size:1.4rem;font-weight:600;margin:.75rem 0}',
  '.action{padding:.75rem 1rem;border-radius:6px;background:#fcedb9}',
  'dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1.5rem;margin:1.25rem 0}',
  'dl.facts dt{color:#697386}dl.facts dd{margin:0}',
  '.parties{display:grid;grid-template-columns:1fr 1fr;gap:1.5rem;margin:1.25rem 0}',
  '.parties p{margin:0}',
  'table{width:100%;border-collapse:collapse}',
  'table.lines th{font-size:.8rem;color:#697386;font-weight:500;text-align:left;border-bottom:1px solid #e3e8ee;padding:.4rem .3rem}',
  'table.lines th.num{text-align:right}',
  'table.lines td{vertical-align:top;border-bottom:1px solid #f0f2f5;padding:.5rem .3rem}',
  '.num{text-align:right;white-space:nowrap}',
  '.period{color:#697386;font-size:.85rem}',
  'table.totals{width:auto;margin:1rem 0 0 auto}',
  'table.totals td{padding:.25rem .3rem}table.totals td:first-child{padding-right:2rem}',
  'table.totals tr.strong td{font-weight:600;border-top:1px solid #e3e8ee}',
  '.notes{margin-top:1.5rem;color:#3c4257}',
  'footer{margin-top:2rem;font-size:.8rem;color:#697386}',
].join('');

const party = (title: string, p: Party): string =>
  `<div><h2>${esc(title)}</h2><p><strong>${esc(p.name)}</strong>${p.details.map((d) => `<br>${esc(d)}`).join('')}</p></div>`;

/**
 * The `hosted_invoice_url` page: the invoice as a customer sees it on Stripe's hosted invoice
 * page, with a link to the PDF and, when payment waits for the customer, the step to take.
 *
 * @example
 * hostedInvoicePage(invoiceDocument(invoice, ctx.state), { action: { href: authUrl, label: 'Complete authentication to pay this invoice' } });
 */
export const hostedInvoicePage = (doc: InvoiceDocument, options: { action?: InvoiceAction } = {}): string => {
  const action = options.action ? `<p class="action"><a href="${esc(options.action.href)}">${esc(options.action.label)}</a></p>` : '';
  const download = doc.pdfUrl ? `<p><a href="${esc(doc.pdfUrl)}">Download invoice (PDF)</a></p>` : '';
  const facts = doc.facts.map((f) => `<dt>${esc(f.label)}</dt><dd>${esc(f.value)}</dd>`).join('');
  const lines = doc.lines
    .map(
      (l) =>
        `<tr><td>${esc(l.description)}${l.period ? `<div class="period">${esc(l.period)}</div>` : ''}</td><td class="num">${esc(l.quantity)}</td><td class="num">${esc(l.unitPrice)}</td><td class="num">${esc(l.tax)}</td><td class="num">${esc(l.amount)}</td></tr>`,
    )
    .join('');
  const totals = doc.totals.map((r) => `<tr${r.strong ? ' class="strong"' : ''}><td>${esc(r.label)}</td><td class="num">${esc(r.amount)}</td></tr>`).join('');
  const notes = doc.notes.length ? `<section class="notes">${doc.notes.map((n) => `<p>${esc(n)}</p>`).join('')}</section>` : '';
  const memo = doc.memo ? `<p class="memo">${esc(doc.memo)}</p>` : '';
  return [
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">`,
    `<title>Invoice ${esc(doc.number)}</title><style>${STYLE}</style></head><body><main>`,
    `<header><div class="seller-name">${esc(doc.seller.name)}</div>`,
    `<h1>Invoice ${esc(doc.number)} <span class="status status-${esc(doc.status)}">(${esc(doc.status)})</span></h1>`,
    `<p class="headline">${esc(doc.headline)}</p>${action}${download}</header>`,
    `<dl class="facts">${facts}</dl>`,
    `<section class="parties">${party('From', doc.seller)}${party('Bill to', doc.billTo)}</section>${memo}`,
    `<table class="lines"><thead><tr><th>Description</th><th class="num">Qty</th><th class="num">Unit price</th><th class="num">Tax</th><th class="num">Amount</th></tr></thead><tbody>${lines}</tbody></table>`,
    `<table class="totals"><tbody>${totals}</tbody></table>${notes}`,
    `<footer>${esc(doc.number)} · ${esc(doc.headline)}</footer>`,
    `</main></body></html>`,
  ].join('');
};
