import { toCsv, type CsvCell } from '../../platform/csv';
import { toJson } from '../../platform/json';
import type { BillingEvent } from '../ports/billing-events';
import type { TenantDirectory } from '../ports/directory';
import type { Invoice } from '../ports/invoices';
import type { HistoryItem } from '../usage/reports';
import type { ExportKind } from '../../domain/exports';


const HEADERS: Record<ExportKind, readonly string[]> = {
  invoices: [
    'tenant_id', 'invoice_id', 'number', 'status', 'billing_reason', 'currency', 'subtotal', 'total_excluding_tax', 'tax', 'total',
    'amount_paid', 'amount_due', 'period_start', 'period_end', 'created_at', 'hosted_invoice_url',
  ],
  'invoice-lines': ['tenant_id', 'invoice_id', 'invoice_number', 'line', 'kind', 'description', 'quantity', 'amount', 'tax', 'currency', 'period_start', 'period_end'],
  usage: ['tenant_id', 'resource_type', 'period_start', 'period_end', 'quantity'],
  events: ['tenant_id', 'event_id', 'type', 'actor_type', 'actor_id', 'occurred_at', 'data'],
};

export interface ExportDeps {
  readonly directory: TenantDirectory;
  readonly invoices: { list(tenantId: string, options: { limit: number; cursor?: string }): Promise<{ items: Invoice[]; nextCursor: string | null }> };
  readonly events: {
    list(tenantId: string, options: { limit: number; cursor?: string; from?: string; to?: string }): Promise<{ items: BillingEvent[]; nextCursor: string | null }>;
  };
  readonly usage: {
    history(
      tenantId: string,
      query: { from: Date; to: Date; granularity: 'day' | 'period'; limit: number; cursor?: string },
    ): Promise<{ items: HistoryItem[]; next_cursor: string | null }>;
  };
}

export interface ExportPage {
  readonly csv: string;
  /** Where the next page of tenants starts; null on the last page. */
  readonly nextCursor: string | null;
}

/**
 * `GET /admin/exports/{kind}.csv` (SPEC section 7): RFC 4180 CSV of invoices, invoice lines,
 * usage per period or billing events between two instants, the same data the API shows (the
 * same stores and views), a page of tenants at a time through the directory (the cursor pages on,
 * every page a whole CSV with its header row). Money in integer minor units, times ISO 8601 UTC.
 */
export class AdminExports {
  constructor(private readonly deps: ExportDeps) {}

  async page(kind: ExportKind, range: { from: Date; to: Date }, page: { tenants: number; cursor?: string; tenantId?: string }): Promise<ExportPage> {
    const found = page.tenantId
      ? { tenantIds: [page.tenantId], nextCursor: null }
      : await this.deps.directory.search({}, { limit: page.tenants, ...(page.cursor ? { cursor: page.cursor } : {}) });
    const rows: CsvCell[][] = [];
    for (const tenantId of [...found.tenantIds].sort()) rows.push(...(await this.rowsOf(kind, tenantId, range)));
    return { csv: toCsv(HEADERS[kind], rows), nextCursor: found.nextCursor };
  }

  private async rowsOf(kind: ExportKind, tenantId: string, range: { from: Date; to: Date }): Promise<CsvCell[][]> {
    switch (kind) {
      case 'invoices':
        return (await this.invoicesOf(tenantId, range)).map((i) => [
          tenantId, i.id, i.number, i.status, i.billing_reason, i.currency, i.subtotal, i.total_excluding_tax, i.tax, i.total,
          i.amount_paid, i.amount_due, i.period_start, i.period_end, i.created_at, i.hosted_invoice_url,
        ]);
      case 'invoice-lines':
        return (await this.invoicesOf(tenantId, range)).flatMap((i) =>
          i.lines.map((l, n) => [
            tenantId, i.id, i.number, n + 1, l.kind, l.description, l.quantity, l.amount, l.taxes.reduce((sum, t) => sum + t.amount, 0), i.currency, l.period_start, l.period_end,
          ]),
        );
      case 'usage':
        return (await this.usageOf(tenantId, range)).map((u) => [tenantId, u.resource_type, u.start, u.end, u.quantity]);
      case 'events':
        return (await this.eventsOf(tenantId, range)).map((e) => [
          tenantId, e.id, e.type, e.actor.type, e.actor.type === 'user' ? e.actor.id : null, e.occurred_at, toJson(e.data),
        ]);
    }
  }

  /** Invoices created in the range, oldest first (the listing is newest first: read until before the range). */
  private async invoicesOf(tenantId: string, range: { from: Date; to: Date }): Promise<Invoice[]> {
    const out: Invoice[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await this.deps.invoices.list(tenantId, { limit: 100, ...(cursor ? { cursor } : {}) });
      for (const i of page.items) {
        const at = Date.parse(i.created_at);
        if (at >= range.from.getTime() && at < range.to.getTime()) out.push(i);
      }
      const oldest = page.items[page.items.length - 1];
      if (!page.nextCursor || (oldest && Date.parse(oldest.created_at) < range.from.getTime())) break;
      cursor = page.nextCursor;
    }
    return out.reverse();
  }

  private async usageOf(tenantId: string, range: { from: Date; to: Date }): Promise<HistoryItem[]> {
    const out: HistoryItem[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.deps.usage.history(tenantId, { from: range.from, to: range.to, granularity: 'period', limit: 1000, ...(cursor ? { cursor } : {}) });
      out.push(...page.items);
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    return out;
  }

  private async eventsOf(tenantId: string, range: { from: Date; to: Date }): Promise<BillingEvent[]> {
    const out: BillingEvent[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.deps.events.list(tenantId, {
        limit: 100,
        from: range.from.toISOString(),
        to: new Date(range.to.getTime() - 1).toISOString(),
        ...(cursor ? { cursor } : {}),
      });
      out.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return out.reverse();
  }
}
