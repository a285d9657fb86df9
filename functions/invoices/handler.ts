import { invoicesApi } from '../../src/api/invoices';
import { apiHandler } from '../../src/composition/http';
import { root } from '../../src/composition/root';
import { invoiceDetail, invoiceSummary } from '../../src/app/billing/views';
import { NotFound } from '../../src/app/errors';
import { operation, tenantOf } from '../../src/http/api';

export const listInvoices = operation(invoicesApi.listInvoices, async ({ query, principal }) => {
  const page = await root().invoices().list(tenantOf(principal), {
    limit: query.limit,
    ...(query.cursor ? { cursor: query.cursor } : {}),
  });
  return { status: 200, body: { invoices: page.items.map(invoiceSummary), next_cursor: page.nextCursor } };
});

export const getInvoice = operation(invoicesApi.getInvoice, async ({ params, principal }) => {
  const id = params.id ?? '';
  const invoice = /^in_\w{1,200}$/.test(id) ? await root().invoices().get(tenantOf(principal), id) : null;
  if (!invoice) throw new NotFound('No such invoice');
  return { status: 200, body: { invoice: invoiceDetail(invoice) } };
});

export const handler = apiHandler('invoices', { listInvoices, getInvoice });
