/**
 * Cards and payments as the page sees them. Card details never reach the page: Stripe's hosted
 * Checkout (setup mode) collects a card, its billing portal manages cards, and its hosted
 * invoice page runs 3-D Secure; the page only opens them and shows what the API lists.
 */
import type { ApiClient } from './api/client';
import type { BillingEvent, InvoiceSummary, PaymentMethod, PaymentMethods } from './api/types';
import { safeUrl } from './urls';

/** The query Stripe's Checkout sends the browser back with (the API's default success_url). */
export const CARD_ADDED_PARAM = 'card';
const ACTION_REQUIRED = 'stripe.invoice.payment_action_required';

/** An open invoice whose payment waits for the tenant's confirmation (3-D Secure). */
export interface AwaitingConfirmation {
  readonly invoiceId: string;
  readonly label: string;
  readonly total: number;
  readonly currency: string;
  readonly url: string;
}

export interface PaymentState {
  /** The card Stripe charges next, or null when there is none. */
  readonly card: PaymentMethod | null;
  readonly awaiting: AwaitingConfirmation | null;
}

export { safeUrl };

export const defaultCard = (methods: PaymentMethods): PaymentMethod | null =>
  methods.payment_methods.find((m) => m.default) ??
  methods.payment_methods.find((m) => m.id === methods.default_payment_method) ??
  null;

/**
 * The newest `payment_action_required` whose invoice is still open: a later payment (or a void)
 * closes the invoice, so an old event never brings the banner back.
 */
export const awaitingConfirmation = (events: readonly BillingEvent[], invoices: readonly InvoiceSummary[]): AwaitingConfirmation | null => {
  const byId = new Map(invoices.map((i) => [i.id, i]));
  const newestFirst = [...events].filter((e) => e.type === ACTION_REQUIRED).sort((a, b) => b.occurred_at.localeCompare(a.occurred_at));
  for (const event of newestFirst) {
    const invoice = typeof event.data.object_id === 'string' ? byId.get(event.data.object_id) : undefined;
    if (invoice?.status !== 'open') continue;
    const url = safeUrl(invoice.hosted_invoice_url) ?? safeUrl(event.data.hosted_invoice_url);
    if (!url) continue;
    return { invoiceId: invoice.id, label: invoice.number ?? invoice.id, total: invoice.amount_due - invoice.amount_paid, currency: invoice.currency, url };
  }
  return null;
};

const load = async (api: ApiClient): Promise<PaymentState> => {
  const [methods, events, invoices] = await Promise.all([
    api.call('listPaymentMethods'),
    api.call('listEvents', { query: { type: ACTION_REQUIRED, limit: 10 } }),
    api.call('listInvoices', { query: { limit: 50 } }),
  ]);
  return { card: defaultCard(methods), awaiting: awaitingConfirmation(events.events, invoices.invoices) };
};

const CARD_WAIT_TRIES = 10;
const CARD_WAIT_MS = 500;

/**
 * The tenant's card and any payment awaiting confirmation. Just back from Checkout
 * (`expectCard`), the card arrives by Stripe's webhook, possibly a moment after the browser:
 * asks again for a few seconds until it is there.
 */
export const fetchPaymentState = async (api: ApiClient, { expectCard = false }: { expectCard?: boolean } = {}): Promise<PaymentState> => {
  let state = await load(api);
  for (let i = 0; expectCard && state.card === null && i < CARD_WAIT_TRIES; i++) {
    await new Promise((resolve) => setTimeout(resolve, CARD_WAIT_MS));
    state = await load(api);
  }
  return state;
};

/** Opens Stripe Checkout (setup mode); it sends the browser back to this origin with `?card=added`. */
export const startCardSetup = async (api: ApiClient): Promise<void> => {
  const home = `${window.location.origin}/`;
  const { url } = await api.call('setupPaymentMethod', {
    body: { success_url: `${home}?${CARD_ADDED_PARAM}=added`, cancel_url: home },
  });
  window.location.assign(url);
};

/** Opens Stripe's billing portal (cards, invoices, billing details), which links back here. */
export const openBillingPortal = async (api: ApiClient): Promise<void> => {
  const { url } = await api.call('openBillingPortal', { body: { return_url: `${window.location.origin}/` } });
  window.location.assign(url);
};

/**
 * True when this page load is the return from Checkout; drops the query from the address bar
 * so a reload or a copied link does not say it again. A redirect keeps the fragment of the page
 * it came from (Checkout's own), which is dropped too unless it is a local sign-in link.
 */
export const takeCardAddedFromUrl = (): boolean => {
  const params = new URLSearchParams(window.location.search);
  if (params.get(CARD_ADDED_PARAM) !== 'added') return false;
  params.delete(CARD_ADDED_PARAM);
  params.delete('session');
  const query = params.toString();
  const hash = window.location.hash.includes('token=') ? window.location.hash : '';
  window.history.replaceState(window.history.state, '', `${window.location.pathname}${query ? `?${query}` : ''}${hash}`);
  return true;
};
