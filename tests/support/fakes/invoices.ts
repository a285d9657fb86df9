import type { Invoice, InvoiceStore } from '../../../src/app/ports/invoices';

/** One call of `save`, as made, and whether it was written. */
export interface RecordedInvoiceSave {
  readonly invoice: Invoice;
  readonly syncedAt: Date;
  readonly written: boolean;
}

const key = (tenantId: string, invoiceId: string): string => `${tenantId}/${invoiceId}`;

/** Mirrored invoices in memory: a save older than the stored read is refused (an equal one is written). */
export class InMemoryInvoiceStore implements InvoiceStore {
  readonly items = new Map<string, { readonly invoice: Invoice; readonly syncedAt: number }>();
  readonly saves: RecordedInvoiceSave[] = [];

  async save(invoice: Invoice, syncedAt: Date): Promise<boolean> {
    const stored = this.items.get(key(invoice.tenant_id, invoice.id));
    const written = !stored || stored.syncedAt <= syncedAt.getTime();
    if (written) this.items.set(key(invoice.tenant_id, invoice.id), { invoice, syncedAt: syncedAt.getTime() });
    this.saves.push({ invoice, syncedAt, written });
    return written;
  }

  async draftRenewal(tenantId: string, subscriptionId: string, periodEnd: string): Promise<Invoice | null> {
    return (
      this.all(tenantId).find(
        (i) => i.status === 'draft' && i.subscription_id === subscriptionId && i.billing_reason === 'subscription_cycle' && i.period_end === periodEnd,
      ) ?? null
    );
  }

  /** One of the tenant's invoices; another tenant's id is not there. */
  get(tenantId: string, invoiceId: string): Invoice | null {
    return this.items.get(key(tenantId, invoiceId))?.invoice ?? null;
  }

  /** The tenant's invoices, newest first. */
  all(tenantId: string): Invoice[] {
    return [...this.items.values()]
      .map((i) => i.invoice)
      .filter((i) => i.tenant_id === tenantId)
      .sort((a, b) => b.created_at.localeCompare(a.created_at));
  }

  /** Test set-up: stores an invoice as read at `syncedAt`. */
  seed(invoice: Invoice, syncedAt: Date = new Date(0)): Invoice {
    this.items.set(key(invoice.tenant_id, invoice.id), { invoice, syncedAt: syncedAt.getTime() });
    return invoice;
  }
}
