import { createRequire } from 'node:module';
import PDFDocument from 'pdfkit';
import type { InvoiceDocument, Party } from './invoice-document';

/**
 * The `invoice_pdf` download, laid out like Stripe's invoice PDF on one A4 page (more when the
 * lines need it): "Invoice" and its dates, seller and "Bill to", the amount and its state, the
 * line table, the totals, the notes, and a footer with the hosted invoice link. Text is set in
 * DejaVu Sans, embedded (subset), so any name or address (`Détails GmbH`, `Łódź`, `CO₂`, `£`,
 * `€`) prints as written and copies out as text.
 */

const require = createRequire(import.meta.url);
/** TrueType files of the npm package `dejavu-fonts-ttf`; each PDF embeds the subset of the glyphs it uses. */
const FONTS = {
  regular: require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf'),
  bold: require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf'),
} as const;

const PAGE = { width: 595.28, height: 841.89, margin: 50 } as const;
const RIGHT = PAGE.width - PAGE.margin;
/** Content stops here; the footer sits below it. */
const BOTTOM = PAGE.height - PAGE.margin - 24;
const COLOR = { text: '#1a1f36', muted: '#697386', rule: '#e3e8ee' } as const;
const STATUS_COLOR: Readonly<Record<string, string>> = { paid: '#05690d', open: '#a04100', uncollectible: '#b3063d' };

/** Table columns: x and width; numbers are right-aligned in theirs. */
const COLUMNS = {
  description: { x: PAGE.margin, width: 235 },
  quantity: { x: 290, width: 40 },
  unitPrice: { x: 335, width: 80 },
  tax: { x: 420, width: 45 },
  amount: { x: 470, width: RIGHT - 470 },
} as const;
/** The totals sit right, labels from `x`, amounts in the amount column. */
const TOTALS = { x: 230, labelWidth: 225 } as const;

type Doc = InstanceType<typeof PDFDocument>;

const style = (pdf: Doc, weight: 'regular' | 'bold', size: number, color: string = COLOR.text): Doc => pdf.font(weight).fontSize(size).fillColor(color);

const rule = (pdf: Doc, y: number, x0: number = PAGE.margin): void => {
  pdf.moveTo(x0, y).lineTo(RIGHT, y).lineWidth(0.5).strokeColor(COLOR.rule).stroke();
};

/** Writes a block of text at (x, y) within `width` and returns the y below it. */
const write = (pdf: Doc, text: string, x: number, y: number, width: number): number => {
  pdf.text(text, x, y, { width });
  return y + pdf.heightOfString(text, { width });
};

const header = (pdf: Doc, doc: InvoiceDocument): number => {
  style(pdf, 'bold', 22).text('Invoice', PAGE.margin, PAGE.margin);
  style(pdf, 'bold', 11).text(doc.seller.name, 300, PAGE.margin + 4, { width: RIGHT - 300, align: 'right' });
  style(pdf, 'bold', 10, STATUS_COLOR[doc.status] ?? COLOR.muted).text(doc.statusLabel, 300, PAGE.margin + 20, { width: RIGHT - 300, align: 'right' });
  let y = PAGE.margin + 40;
  for (const fact of doc.facts) {
    style(pdf, 'regular', 9, COLOR.muted).text(fact.label, PAGE.margin, y, { width: 110 });
    style(pdf, 'regular', 9).text(fact.value, PAGE.margin + 115, y, { width: 250 });
    y += 14;
  }
  return y + 14;
};

const partyBlock = (pdf: Doc, title: string, p: Party, x: number, y: number, width: number): number => {
  let at = write(style(pdf, 'bold', 9, COLOR.muted), title, x, y, width) + 2;
  at = write(style(pdf, 'bold', 9.5), p.name, x, at, width) + 1;
  for (const detail of p.details) at = write(style(pdf, 'regular', 9), detail, x, at, width);
  return at;
};

const tableHeader = (pdf: Doc, y: number): number => {
  style(pdf, 'regular', 8.5, COLOR.muted);
  pdf.text('Description', COLUMNS.description.x, y, { width: COLUMNS.description.width });
  pdf.text('Qty', COLUMNS.quantity.x, y, { width: COLUMNS.quantity.width, align: 'right' });
  pdf.text('Unit price', COLUMNS.unitPrice.x, y, { width: COLUMNS.unitPrice.width, align: 'right' });
  pdf.text('Tax', COLUMNS.tax.x, y, { width: COLUMNS.tax.width, align: 'right' });
  pdf.text('Amount', COLUMNS.amount.x, y, { width: COLUMNS.amount.width, align: 'right' });
  rule(pdf, y + 14);
  return y + 20;
};

/** Starts a new page when `height` does not fit below `y`; returns where to write. */
const room = (pdf: Doc, y: number, height: number, onNewPage: (y: number) => number = (top) => top): number => {
  if (y + height <= BOTTOM) return y;
  pdf.addPage();
  return onNewPage(PAGE.margin);
};

const lineTable = (pdf: Doc, doc: InvoiceDocument, top: number): number => {
  let y = tableHeader(pdf, top);
  for (const line of doc.lines) {
    const width = COLUMNS.description.width;
    const height =
      style(pdf, 'regular', 9.5).heightOfString(line.description, { width }) + (line.period ? style(pdf, 'regular', 8.5).heightOfString(line.period, { width }) + 2 : 0);
    y = room(pdf, y, height + 8, (at) => tableHeader(pdf, at));
    let below = write(style(pdf, 'regular', 9.5), line.description, COLUMNS.description.x, y, width);
    if (line.period) below = write(style(pdf, 'regular', 8.5, COLOR.muted), line.period, COLUMNS.description.x, below + 2, width);
    style(pdf, 'regular', 9.5);
    for (const [key, text] of [
      ['quantity', line.quantity],
      ['unitPrice', line.unitPrice],
      ['tax', line.tax],
      ['amount', line.amount],
    ] as const) {
      pdf.text(text, COLUMNS[key].x, y, { width: COLUMNS[key].width, align: 'right' });
    }
    y = below + 6;
    rule(pdf, y - 2);
  }
  return y + 8;
};

const totalsBlock = (pdf: Doc, doc: InvoiceDocument, top: number): number => {
  const rows = doc.totals.map((row) => {
    const weight = row.strong ? 'bold' : 'regular';
    return { ...row, weight, height: style(pdf, weight, 9.5).heightOfString(row.label, { width: TOTALS.labelWidth }) + 6 } as const;
  });
  // The block stays on one page.
  let y = room(pdf, top, rows.reduce((sum, r) => sum + r.height, 0));
  for (const row of rows) {
    if (row.strong) rule(pdf, y - 3, TOTALS.x);
    style(pdf, row.weight, 9.5).text(row.label, TOTALS.x, y, { width: TOTALS.labelWidth });
    pdf.text(row.amount, COLUMNS.amount.x - 10, y, { width: COLUMNS.amount.width + 10, align: 'right' });
    y += row.height;
  }
  return y + 10;
};

/** Page numbers and the hosted invoice link, below the content area of every page. */
const footers = (pdf: Doc, doc: InvoiceDocument): void => {
  const { start, count } = pdf.bufferedPageRange();
  for (let i = start; i < start + count; i += 1) {
    pdf.switchToPage(i);
    // Writing in the bottom margin would otherwise open a new page.
    const margin = pdf.page.margins.bottom;
    pdf.page.margins.bottom = 0;
    const y = PAGE.height - PAGE.margin - 10;
    rule(pdf, y - 8);
    style(pdf, 'regular', 8, COLOR.muted).text(`${doc.number} · ${doc.headline} · Page ${i - start + 1} of ${count}`, PAGE.margin, y, {
      width: RIGHT - PAGE.margin,
      lineBreak: false,
    });
    if (doc.hostedUrl) {
      const label = 'View invoice online';
      pdf.fillColor('#635bff').text(label, PAGE.margin, y, { width: RIGHT - PAGE.margin, align: 'right', link: doc.hostedUrl, underline: false, lineBreak: false });
      pdf.fillColor(COLOR.muted).text(doc.hostedUrl, PAGE.margin, y + 11, { width: RIGHT - PAGE.margin, align: 'right', link: doc.hostedUrl, lineBreak: false });
    }
    pdf.page.margins.bottom = margin;
  }
};

/**
 * Renders an invoice document as a PDF.
 *
 * @example
 * res.end(await invoicePdf(invoiceDocument(invoice, ctx.state)));
 */
export const invoicePdf = (doc: InvoiceDocument): Promise<Buffer> => {
  const issued = new Date(doc.issuedAt * 1000);
  const pdf = new PDFDocument({
    size: 'A4',
    margin: PAGE.margin,
    // Footers are written last, once the page count is known.
    bufferPages: true,
    // The default font too, so that no standard (Latin-1 only) font is ever loaded.
    font: FONTS.regular,
    lang: 'en',
    displayTitle: true,
    info: {
      Title: `Invoice ${doc.number}`,
      Author: doc.seller.name,
      Subject: `Invoice ${doc.number} to ${doc.billTo.name}`,
      Creator: 'local Stripe endpoint',
      CreationDate: issued,
      ModDate: issued,
    },
  });
  pdf.registerFont('regular', FONTS.regular);
  pdf.registerFont('bold', FONTS.bold);

  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    pdf.on('data', (chunk: Buffer) => chunks.push(chunk));
    pdf.on('end', () => resolve(Buffer.concat(chunks)));
    pdf.on('error', reject);
  });

  let y = header(pdf, doc);
  const half = (RIGHT - PAGE.margin) / 2;
  const sellerEnd = partyBlock(pdf, 'From', doc.seller, PAGE.margin, y, half - 15);
  const billToEnd = partyBlock(pdf, 'Bill to', doc.billTo, PAGE.margin + half, y, half);
  y = Math.max(sellerEnd, billToEnd) + 18;
  y = write(style(pdf, 'bold', 14), doc.headline, PAGE.margin, y, RIGHT - PAGE.margin) + 6;
  if (doc.memo) y = write(style(pdf, 'regular', 9.5), doc.memo, PAGE.margin, y, RIGHT - PAGE.margin) + 6;
  y = lineTable(pdf, doc, y + 12);
  y = totalsBlock(pdf, doc, y);
  for (const note of doc.notes) {
    const height = style(pdf, 'regular', 9).heightOfString(note, { width: RIGHT - PAGE.margin });
    y = room(pdf, y, height + 4);
    y = write(style(pdf, 'regular', 9), note, PAGE.margin, y, RIGHT - PAGE.margin) + 4;
  }
  footers(pdf, doc);
  pdf.end();
  return done;
};
