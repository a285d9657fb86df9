import type { ServerResponse } from 'node:http';
import type Stripe from 'stripe';
import { formatAmount, formatDate } from '../billing/money';
import type { BillingContext } from '../billing/context';

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

const cardLine = (pm: Stripe.PaymentMethod, defaultPm: string | null): string =>
  `${pm.card?.brand ?? pm.type} •••• ${pm.card?.last4 ?? '????'} (expires ${pm.card?.exp_month ?? '?'}/${pm.card?.exp_year ?? '?'})${pm.id === defaultPm ? ' — default' : ''}`;

const invoiceLine = (invoice: Stripe.Invoice): string =>
  `${invoice.number ?? invoice.id} — ${formatDate(invoice.created)} — ${formatAmount(invoice.total, invoice.currency)} — ${invoice.status ?? 'deleted'}`;

/** The billing portal a session's `url` opens: the customer's cards and invoices, and the way back. */
export const portalPage = (ctx: BillingContext, session: Stripe.BillingPortal.Session): string => {
  const customer = ctx.state.customers.get(session.customer);
  const defaultPm = customer?.invoice_settings.default_payment_method ?? null;
  const defaultId = typeof defaultPm === 'string' ? defaultPm : (defaultPm?.id ?? null);
  const cards = [...ctx.state.paymentMethods.values()].filter((pm) => pm.customer === session.customer);
  const invoices = [...ctx.state.invoices.values()].filter((i) => i.customer === session.customer && i.status !== 'draft').reverse();
  const list = (items: string[], empty: string): string =>
    items.length === 0 ? `<p>${escapeHtml(empty)}</p>` : `<ul>${items.map((x) => `<li>${x}</li>`).join('')}</ul>`;
  const back = session.return_url ? `<p><a id="return" href="${escapeHtml(session.return_url)}">Return to ${escapeHtml(new URL(session.return_url).host)}</a></p>` : '';
  return [
    '<!doctype html><html><head><meta charset="utf-8"><title>Billing portal</title></head><body>',
    `<h1>Billing portal</h1><p>${escapeHtml(customer?.name ?? customer?.email ?? session.customer)}</p>`,
    '<h2>Payment methods</h2>',
    list(cards.map((pm) => escapeHtml(cardLine(pm, defaultId))), 'No payment methods.'),
    '<h2>Invoices</h2>',
    list(
      invoices.map((i) => (i.hosted_invoice_url ? `<a href="${escapeHtml(i.hosted_invoice_url)}">${escapeHtml(invoiceLine(i))}</a>` : escapeHtml(invoiceLine(i)))),
      'No invoices.',
    ),
    back,
    '</body></html>',
  ].join('');
};

/** Serves `/billing_portal/sessions/:id` (no API key, like Stripe's hosted portal link). */
export const servePortalPage = (ctx: BillingContext, path: string, res: ServerResponse): boolean => {
  const m = /^\/billing_portal\/sessions\/([^/]+)$/.exec(path);
  if (!m?.[1]) return false;
  const session = ctx.state.portalSessions.get(decodeURIComponent(m[1]));
  if (!session) {
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('No such billing portal session');
  } else {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(portalPage(ctx, session));
  }
  return true;
};
