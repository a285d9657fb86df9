import { writeFileSync } from 'node:fs';
import type Stripe from 'stripe';
import { extractLinks, extractText, getDocumentProxy, getMeta } from 'unpdf';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, idOf, startHarness } from './harness';

// The hosted invoice page and the invoice PDF of the local Stripe endpoint carry what a Stripe
// invoice does (docs/local-stripe.md, "Hosted invoice page and PDF"); the PDF is opened with a
// PDF text extractor, as a reader or an accounting tool would.

/** The legacy customer param the Stripe CLI sends; the SDK's types for this API version dropped it. */
type LegacyDiscountParams = { coupon?: string };

interface Pdf {
  readonly bytes: Buffer;
  readonly contentType: string | null;
  readonly pages: number;
  /** The page text, runs of white space made one space. */
  readonly text: string;
  readonly title: unknown;
  readonly links: readonly string[];
}

const openPdf = async (url: string | null | undefined): Promise<Pdf> => {
  const res = await fetch(url ?? '');
  const bytes = Buffer.from(await res.arrayBuffer());
  // Set INVOICE_PDF_DIR to look at the files (e.g. with pdftoppm).
  if (process.env['INVOICE_PDF_DIR']) writeFileSync(`${process.env['INVOICE_PDF_DIR']}/${url?.split('/').at(-2) ?? 'invoice'}.pdf`, bytes);
  const doc = await getDocumentProxy(new Uint8Array(bytes));
  const { totalPages, text } = await extractText(doc, { mergePages: true });
  const meta = await getMeta(doc);
  const { links } = await extractLinks(doc);
  return { bytes, contentType: res.headers.get('content-type'), pages: totalPages, text: text.replace(/\s+/g, ' '), title: meta.info['Title'], links };
};

const openPage = async (url: string | null | undefined): Promise<{ contentType: string | null; html: string }> => {
  const res = await fetch(url ?? '');
  return { contentType: res.headers.get('content-type'), html: await res.text() };
};

describe('local Stripe invoice documents', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => h.close());

  const monthly = async (currency: string, amount: number): Promise<Stripe.Price> => {
    await h.stripe.products.create({ id: `securenet_${currency}`, name: 'SecureNet Pro' });
    return h.stripe.prices.create({ product: `securenet_${currency}`, currency, unit_amount: amount, recurring: { interval: 'month' }, tax_behavior: 'exclusive' });
  };

  const customer = (params: Stripe.CustomerCreateParams): Promise<Stripe.Customer> =>
    h.stripe.customers.create({ email: 'billing@example.com', payment_method: 'pm_card_visa', invoice_settings: { default_payment_method: 'pm_card_visa' }, ...params });

  const subscribe = async (c: Stripe.Customer, price: Stripe.Price, quantity = 1): Promise<Stripe.Invoice> => {
    const sub = await h.stripe.subscriptions.create({ customer: c.id, items: [{ price: price.id, quantity }], automatic_tax: { enabled: true } });
    return h.stripe.invoices.retrieve(idOf(sub.latest_invoice));
  };

  /** A GB business with a Unicode name and address, a VAT number and a 10% coupon, on 2 seats of £79.00 a month. */
  const gbInvoice = async (): Promise<Stripe.Invoice> => {
    const price = await monthly('gbp', 7900);
    const coupon = await h.stripe.coupons.create({ percent_off: 10, duration: 'forever', name: 'Launch' });
    const c = await customer({
      name: 'Détails Ltd',
      address: { line1: 'Łódź House, 2 Zürich Road', line2: 'CO₂-neutral floor', city: 'London', postal_code: 'SW1A 2AA', country: 'GB' },
      tax_id_data: [{ type: 'gb_vat', value: 'GB123456789' }],
    });
    const discount: Stripe.CustomerUpdateParams & LegacyDiscountParams = { coupon: coupon.id };
    await h.stripe.customers.update(c.id, discount);
    return subscribe(c, price, 2);
  };

  describe('invoice_pdf', () => {
    it('is a one-page PDF whose text carries seller, customer, tax ID, dates, lines with their period, discount, VAT per rate, totals and "Paid"', async () => {
      const invoice = await gbInvoice();
      // 2 × £79.00 = £158.00, 10% off = £142.20, 20% VAT on it = £28.44.
      expect(invoice).toMatchObject({ status: 'paid', subtotal: 15_800, total_excluding_tax: 14_220, total: 17_064, amount_paid: 17_064, amount_remaining: 0 });

      const pdf = await openPdf(invoice.invoice_pdf);

      expect(pdf.contentType).toBe('application/pdf');
      expect(pdf.bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      expect(pdf.pages).toBe(1);
      expect(pdf.title).toBe(`Invoice ${invoice.number}`);
      // Seller: the local account, an Irish company in Dublin.
      expect(pdf.text).toContain('From SecureNet Billing (local Stripe) 1 Grand Canal Square Dublin D02 P820 Ireland');
      // Customer, Unicode as written (an embedded TrueType font, not Latin-1 Helvetica).
      expect(pdf.text).toContain('Bill to Détails Ltd Łódź House, 2 Zürich Road CO₂-neutral floor London SW1A 2AA United Kingdom');
      expect(pdf.text).toContain('Customer tax ID (gb_vat): GB123456789');
      expect(pdf.text).toContain(`Invoice number ${invoice.number}`);
      expect(pdf.text).toContain('Date of issue 15 Jan 2026 Date due 15 Jan 2026 Date paid 15 Jan 2026 Billing period 15 Jan 2026 – 15 Feb 2026');
      // The line: description, period, quantity, unit price, tax rate, amount.
      expect(pdf.text).toContain('2 × SecureNet Pro (at £79.00 / month) 15 Jan 2026 – 15 Feb 2026 2 £79.00 20% £158.00');
      expect(pdf.text).toContain('Subtotal £158.00 Launch (10% off) -£15.80 Total excluding tax £142.20');
      expect(pdf.text).toContain('VAT - United Kingdom (20% on £142.20) £28.44');
      expect(pdf.text).toContain('Total £170.64 Amount paid £170.64 Amount due £0.00');
      // The status beside the seller's name, and the amount's state above the lines.
      expect(pdf.text).toContain('Invoice SecureNet Billing (local Stripe) Paid Invoice number');
      expect(pdf.text).toContain('£170.64 paid on 15 Jan 2026');
      expect(pdf.text).not.toContain('Reverse charge');
      // The footer links to the hosted invoice page.
      expect(pdf.links).toContain(invoice.hosted_invoice_url);
      // The fonts are embedded TrueType subsets; no standard font is referenced.
      const raw = pdf.bytes.toString('latin1');
      expect(raw).toContain('/FontFile2');
      expect(raw).toContain('DejaVuSans');
      expect(raw).not.toContain('/Helvetica');
    });

    it('says "Reverse charge" on an EU business invoice from another member state, with its VAT ID and no tax', async () => {
      const price = await monthly('eur', 7900);
      const c = await customer({
        name: 'Beispiel GmbH',
        address: { line1: 'Hauptstraße 5', city: 'München', postal_code: '80331', country: 'DE' },
        tax_id_data: [{ type: 'eu_vat', value: 'DE123456789' }],
      });
      const invoice = await subscribe(c, price);
      expect(invoice).toMatchObject({ total: 7900, amount_paid: 7900 });

      const pdf = await openPdf(invoice.invoice_pdf);

      expect(pdf.text).toContain('Bill to Beispiel GmbH Hauptstraße 5 München 80331 Germany');
      expect(pdf.text).toContain('Customer tax ID (eu_vat): DE123456789');
      expect(pdf.text).toContain('Reverse charge: VAT - Germany (0% on €79.00) €0.00');
      expect(pdf.text).toContain('Total €79.00 Amount paid €79.00 Amount due €0.00');
      expect(pdf.text).toContain('Reverse charge: tax to be paid by the customer on the reverse charge basis.');
      expect(pdf.text).not.toContain('19%');
      const page = await openPage(invoice.hosted_invoice_url);
      expect(page.html).toContain('Reverse charge: VAT - Germany (0% on €79.00)');
      expect(page.html).toContain('Reverse charge: tax to be paid by the customer on the reverse charge basis.');
      expect(page.html).toContain('Hauptstraße 5');
    });

    it('shows the payment status of open, void and uncollectible invoices', async () => {
      const c = await customer({ name: 'Zürich Data AG', address: { line1: 'Bahnhofstrasse 1', city: 'Zürich', postal_code: '8001', country: 'CH' } });
      const sent = async (amount: number): Promise<Stripe.Invoice> => {
        await h.stripe.invoiceItems.create({ customer: c.id, amount, currency: 'eur', description: 'Onboarding workshop' });
        const draft = await h.stripe.invoices.create({ customer: c.id, pending_invoice_items_behavior: 'include', collection_method: 'send_invoice', days_until_due: 30 });
        return h.stripe.invoices.finalizeInvoice(draft.id);
      };
      const open = await sent(25_000);
      const voided = await h.stripe.invoices.voidInvoice((await sent(1_000)).id);
      const uncollectible = await h.stripe.invoices.markUncollectible((await sent(2_000)).id);

      const openPdfText = (await openPdf(open.invoice_pdf)).text;
      expect(openPdfText).toContain('(local Stripe) Open Invoice number');
      expect(openPdfText).toContain('€250.00 due 14 Feb 2026');
      expect(openPdfText).toContain('Onboarding workshop 1 €250.00 €250.00');
      expect(openPdfText).toContain('Amount paid €0.00 Amount due €250.00');
      expect((await openPdf(voided.invoice_pdf)).text).toMatch(/\(local Stripe\) Void Invoice number .*€10\.00 voided on 15 Jan 2026/);
      expect((await openPdf(uncollectible.invoice_pdf)).text).toMatch(/\(local Stripe\) Uncollectible Invoice number .*€20\.00 marked uncollectible on 15 Jan 2026/);
    });
  });

  describe('hosted_invoice_url', () => {
    it('is an HTML page with the same facts as the PDF', async () => {
      const invoice = await gbInvoice();

      const page = await openPage(invoice.hosted_invoice_url);

      expect(page.contentType).toBe('text/html; charset=utf-8');
      for (const fact of [
        'SecureNet Billing (local Stripe)',
        '1 Grand Canal Square',
        'Dublin D02 P820',
        'Détails Ltd',
        'Łódź House, 2 Zürich Road',
        'CO₂-neutral floor',
        'Customer tax ID (gb_vat): GB123456789',
        `Invoice ${invoice.number}`,
        '(paid)',
        '£170.64 paid on 15 Jan 2026',
        '2 × SecureNet Pro (at £79.00 / month)',
        '15 Jan 2026 – 15 Feb 2026',
        'Launch (10% off)',
        '-£15.80',
        'Total excluding tax',
        'VAT - United Kingdom (20% on £142.20)',
        '£28.44',
        'Amount paid',
        'Amount due',
      ])
        expect(page.html).toContain(fact);
      expect(page.html).toContain(`href="${invoice.invoice_pdf}"`);
    });
  });
});
