import { useState } from 'react';
import type { InvoiceDetail, InvoiceDiscount, InvoiceLine, InvoiceSummary, InvoiceTax } from '../api/types';
import { Empty, ErrorNotice, Loading, StatusBadge } from '../components/status';
import { useApp } from '../context';
import { formatDate, formatMoney, formatNumber, formatPeriod } from '../format';
import { safeUrl } from '../payments';
import { taxLabel } from '../tax';
import { useResource } from '../use-resource';

const PAGE = 20;

const kindLabels: Record<InvoiceLine['kind'], string> = {
  subscription: 'Plan',
  proration: 'Plan change',
  overage: 'Overage',
  other: 'Other',
};

interface Page {
  readonly invoices: InvoiceSummary[];
  readonly next_cursor: string | null;
}

export const InvoicesTab = () => {
  const { api } = useApp();
  const first = useResource(() => api.call('listInvoices', { query: { limit: PAGE } }));
  const [more, setMore] = useState<Page | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreError, setMoreError] = useState<Error | null>(null);
  const [selected, setSelected] = useState<string | null>(null);

  if (first.state.status === 'loading') return <Loading label="Loading invoices…" />;
  if (first.state.status === 'error') return <ErrorNotice error={first.state.error} onRetry={first.reload} />;
  const invoices = [...first.state.data.invoices, ...(more?.invoices ?? [])];
  const next = more ? more.next_cursor : first.state.data.next_cursor;

  const loadMore = async () => {
    if (!next) return;
    setLoadingMore(true);
    setMoreError(null);
    try {
      const page = await api.call('listInvoices', { query: { limit: PAGE, cursor: next } });
      setMore({ invoices: [...(more?.invoices ?? []), ...page.invoices], next_cursor: page.next_cursor });
    } catch (error) {
      setMoreError(error instanceof Error ? error : new Error(String(error)));
    } finally {
      setLoadingMore(false);
    }
  };

  if (invoices.length === 0) {
    return (
      <Empty>
        <h2>No invoices yet</h2>
        <p>Invoices appear here when a trial ends, a period renews or a plan is upgraded.</p>
      </Empty>
    );
  }
  const shown = selected ?? invoices[0]?.id ?? null;

  return (
    <div className="stack">
      <section className="card" aria-labelledby="invoices-heading">
        <h2 id="invoices-heading">Invoices</h2>
        <table className="invoices">
          <thead>
            <tr>
              <th scope="col">Invoice</th>
              <th scope="col">Period</th>
              <th scope="col">Status</th>
              <th scope="col" className="num">
                Tax
              </th>
              <th scope="col" className="num">
                Total
              </th>
              <th scope="col" className="num">
                Left to pay
              </th>
              <th scope="col">Documents</th>
              <th scope="col">
                <span className="visually-hidden">Lines</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {invoices.map((inv) => {
              const hosted = safeUrl(inv.hosted_invoice_url);
              const pdf = safeUrl(inv.invoice_pdf);
              const label = inv.number ?? inv.id;
              return (
                <tr key={inv.id} aria-current={inv.id === shown ? 'true' : undefined} data-invoice={inv.id}>
                  <td data-label="Invoice">
                    <span>
                      {label}
                      <span className="muted small invoice-date">{formatDate(inv.created_at)}</span>
                    </span>
                  </td>
                  <td data-label="Period">{formatPeriod(inv.period_start, inv.period_end)}</td>
                  <td data-label="Status">
                    <StatusBadge status={inv.status} />
                  </td>
                  <td className="num" data-label="Tax" data-testid="invoice-tax">
                    {inv.reverse_charge ? (
                      <span>
                        {formatMoney(inv.tax, inv.currency)} <span className="muted small">reverse charge</span>
                      </span>
                    ) : (
                      formatMoney(inv.tax, inv.currency)
                    )}
                  </td>
                  <td className="num" data-label="Total">
                    {formatMoney(inv.total, inv.currency)}
                  </td>
                  <td className="num" data-label="Left to pay">
                    {formatMoney(Math.max(0, inv.amount_due - inv.amount_paid), inv.currency)}
                  </td>
                  <td data-label="Documents">
                    <span>
                      {hosted ? (
                        <a href={hosted} target="_blank" rel="noopener noreferrer">
                          View<span className="visually-hidden"> invoice {label}</span>
                        </a>
                      ) : null}
                      {hosted && pdf ? ' · ' : null}
                      {pdf ? (
                        <a href={pdf} target="_blank" rel="noopener noreferrer">
                          PDF<span className="visually-hidden"> of invoice {label}</span>
                        </a>
                      ) : null}
                    </span>
                  </td>
                  <td data-label="">
                    <button type="button" className="button-link" aria-pressed={inv.id === shown} onClick={() => setSelected(inv.id)}>
                      Lines<span className="visually-hidden"> of invoice {label}</span>
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {moreError ? <ErrorNotice error={moreError} /> : null}
        {next ? (
          <button type="button" className="button-secondary" onClick={() => void loadMore()} disabled={loadingMore}>
            {loadingMore ? 'Loading…' : 'Load more invoices'}
          </button>
        ) : null}
      </section>
      {shown ? <InvoiceLines key={shown} id={shown} /> : null}
    </div>
  );
};

const InvoiceLines = ({ id }: { id: string }) => {
  const { api } = useApp();
  const { state, reload } = useResource(() => api.call('getInvoice', { params: { id } }));
  if (state.status === 'loading') return <Loading label="Loading invoice lines…" />;
  if (state.status === 'error') return <ErrorNotice error={state.error} onRetry={reload} />;
  const { invoice } = state.data;
  return (
    <section className="card" aria-labelledby="lines-heading" data-testid="invoice-lines">
      <h2 id="lines-heading">Invoice {invoice.number ?? invoice.id}</h2>
      <p className="muted">
        {formatPeriod(invoice.period_start, invoice.period_end)} · <StatusBadge status={invoice.status} />
      </p>
      {invoice.lines.length === 0 ? (
        <p>This invoice has no lines.</p>
      ) : (
        <div className="table-scroll">
          <table className="lines">
            <thead>
              <tr>
                <th scope="col">Description</th>
                <th scope="col">Kind</th>
                <th scope="col" className="num">
                  Quantity
                </th>
                <th scope="col">Period</th>
                <th scope="col" className="num">
                  Amount
                </th>
              </tr>
            </thead>
            <tbody>
              {invoice.lines.map((line, i) => (
                <tr key={i} data-kind={line.kind}>
                  <td>{line.description}</td>
                  <td>
                    <span className={`badge badge-kind-${line.kind}`}>{kindLabels[line.kind]}</span>
                  </td>
                  <td className="num">{formatNumber(line.quantity)}</td>
                  <td>{formatPeriod(line.period_start, line.period_end)}</td>
                  <td className="num">{formatMoney(line.amount, invoice.currency)}</td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              {totalRows(invoice).map((row) => (
                <tr key={row.key} data-total={row.kind}>
                  <th scope="row" colSpan={4} className={row.kind === 'tax' ? 'tax-label' : undefined}>
                    {row.label}
                  </th>
                  <td className="num">{formatMoney(row.amount, invoice.currency)}</td>
                </tr>
              ))}
            </tfoot>
          </table>
        </div>
      )}
    </section>
  );
};

interface TotalRow {
  readonly key: string;
  readonly kind: 'subtotal' | 'discount' | 'excluding-tax' | 'tax' | 'total';
  readonly label: string;
  readonly amount: number;
}

const taxRow = (tax: InvoiceTax, i: number): TotalRow => ({ key: `tax-${i}`, kind: 'tax', label: taxLabel(tax), amount: tax.amount });

/** "Welcome: 20% off for 3 months (WELCOME20)", shown as a negative amount. */
const discountRow = (d: InvoiceDiscount, i: number): TotalRow => ({
  key: `discount-${i}`,
  kind: 'discount',
  label: `${d.name ?? 'Discount'}${d.code ? ` (${d.code})` : ''}`,
  amount: -d.amount,
});

/**
 * The foot of an invoice: subtotal, one row per discount (the promotion code's offer), the total
 * before tax when a discount makes it differ, one row per tax rate ("VAT 20% (United Kingdom)",
 * the reverse charge statement), and the total.
 */
const totalRows = (invoice: InvoiceDetail): TotalRow[] => [
  { key: 'subtotal', kind: 'subtotal', label: 'Subtotal', amount: invoice.subtotal },
  ...invoice.discounts.map(discountRow),
  ...(invoice.total_excluding_tax !== invoice.subtotal
    ? [{ key: 'excluding-tax', kind: 'excluding-tax', label: 'Total excluding tax', amount: invoice.total_excluding_tax } as const]
    : []),
  ...(invoice.taxes.length > 0 ? invoice.taxes.map(taxRow) : [{ key: 'tax', kind: 'tax', label: 'Tax', amount: invoice.tax } as const]),
  { key: 'total', kind: 'total', label: 'Total', amount: invoice.total },
];
