import type { IncomingMessage, ServerResponse } from 'node:http';
import type Stripe from 'stripe';
import { invoiceAwaiting, settleAuthenticatedInvoice } from '../billing/collection';
import { formatAmount } from '../billing/money';
import { authenticatePaymentIntent, authenticateSetupIntent } from '../billing/payments';
import { StripeApiError } from '../errors';
import { newId } from '../ids';
import { afterAuthentication, confirmSession } from '../resources/checkout';
import type { ApiContext } from '../resources/context';
import { parseForm } from './form';
import { invoiceDocument } from './invoice-document';
import { hostedInvoicePage } from './invoice-page';

/**
 * The pages Stripe hosts for payments, served without an API key: the 3-D Secure test page
 * (`/authenticate/:intent`, "Complete" or "Fail", like Stripe's test-mode challenge), Checkout
 * (`/checkout/:session`, offering Stripe's test cards), and the hosted invoice page of an invoice
 * whose payment waits for authentication. Each change is durable before the page answers.
 */

const esc = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

const STYLE =
  'body{font-family:system-ui,sans-serif;max-width:36rem;margin:0 auto;padding:1rem;line-height:1.45}' +
  'fieldset{border:1px solid #c9d1db;border-radius:8px;padding:0.5rem 0.75rem}' +
  'label{display:flex;gap:0.5rem;align-items:baseline;padding:0.35rem 0;cursor:pointer}' +
  '.number{font-family:ui-monospace,monospace;white-space:nowrap}' +
  'button{font:inherit;font-weight:600;padding:0.5rem 1rem;margin-top:0.75rem}';

const page = (title: string, body: string): string =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title><style>${STYLE}</style></head><body><h1>${esc(title)}</h1>${body}</body></html>`;

/** Stripe's test cards, by the number a person would type and the token the API takes. */
const TEST_CARDS: readonly { token: string; number: string; label: string }[] = [
  { token: 'pm_card_visa', number: '4242 4242 4242 4242', label: 'Visa, succeeds' },
  { token: 'pm_card_chargeDeclinedInsufficientFunds', number: '4000 0000 0000 9995', label: 'insufficient funds' },
  { token: 'pm_card_authenticationRequired', number: '4000 0027 6000 3184', label: 'authentication required (3-D Secure)' },
  { token: 'pm_card_chargeDeclined', number: '4000 0000 0000 0002', label: 'declined' },
];

const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

const html = (res: ServerResponse, status: number, body: string): void => {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8' });
  res.end(body);
};

const redirect = (res: ServerResponse, to: string): void => {
  res.writeHead(303, { Location: to });
  res.end();
};

const withQuery = (url: string, query: Record<string, string>): string => {
  const u = new URL(url);
  for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
  return u.toString();
};

const successUrlOf = (session: Stripe.Checkout.Session): string => (session.success_url ?? '').replace('{CHECKOUT_SESSION_ID}', session.id);

const checkoutPage = (session: Stripe.Checkout.Session, error?: string): string => {
  const what =
    session.mode === 'setup'
      ? 'Save a card for later payments'
      : `Pay ${formatAmount(session.amount_total ?? 0, session.currency ?? 'usd')}${session.mode === 'subscription' ? ' and subscribe' : ''}`;
  // One radio per card, posted as `payment_method=<token>` (what Stripe's own form confirms with).
  const cards = TEST_CARDS.map(
    (c) =>
      `<label><input type="radio" name="payment_method" value="${esc(c.token)}" required> <span class="number">${esc(c.number)}</span> <span>${esc(c.label)}</span></label>`,
  ).join('');
  const submit = session.mode === 'setup' ? 'Save card' : 'Pay';
  const form = `<form method="post"><fieldset><legend>Test card</legend>${cards}</fieldset><button type="submit">${submit}</button></form>`;
  const cancel = session.cancel_url ? `<p><a href="${esc(session.cancel_url)}">Cancel</a></p>` : '';
  return page(`Local Stripe Checkout`, `${error ? `<p role="alert">${esc(error)}</p>` : ''}<p>${esc(what)}</p>${form}${cancel}`);
};

type Intent = Stripe.PaymentIntent | Stripe.SetupIntent;

const intentById = (ctx: ApiContext, id: string): Intent | undefined => ctx.state.paymentIntents.get(id) ?? ctx.state.setupIntents.get(id);

/** Where the customer goes after answering the 3-D Secure page. */
const afterChallenge = (ctx: ApiContext, intent: Intent, returnUrl: string | null): string | null => {
  const session = afterAuthentication(ctx, intent);
  if (session) return session.status === 'complete' ? successUrlOf(session) : `${ctx.config.baseUrl}/checkout/${session.id}?failed=1`;
  if (!returnUrl) return null;
  const ok = intent.status === 'succeeded' || intent.status === 'requires_capture';
  const key = intent.object === 'payment_intent' ? 'payment_intent' : 'setup_intent';
  return withQuery(returnUrl, { [key]: intent.id, [`${key}_client_secret`]: intent.client_secret ?? '', redirect_status: ok ? 'succeeded' : 'failed' });
};

const authenticate = async (ctx: ApiContext, id: string, req: IncomingMessage, res: ServerResponse, durable: () => Promise<void>): Promise<void> => {
  const intent = intentById(ctx, id);
  if (!intent) return html(res, 404, page('Unknown payment', '<p>No such PaymentIntent or SetupIntent.</p>'));
  if (req.method === 'GET') {
    if (intent.status !== 'requires_action') return html(res, 200, page('Nothing to authenticate', `<p>Status: ${esc(intent.status)}</p>`));
    const amount = intent.object === 'payment_intent' ? `<p>Amount: ${esc(formatAmount(intent.amount, intent.currency))}</p>` : '<p>Set up a card for future payments.</p>';
    return html(
      res,
      200,
      page(
        '3D Secure test page',
        `${amount}<form method="post"><input type="hidden" name="result" value="complete"><button type="submit">Complete authentication</button></form><form method="post"><input type="hidden" name="result" value="fail"><button type="submit">Fail authentication</button></form>`,
      ),
    );
  }
  const passed = parseForm(await readBody(req))['result'] === 'complete';
  const returnUrl = intent.next_action?.redirect_to_url?.return_url ?? null;
  try {
    ctx.events.during({ id: newId('req'), idempotencyKey: null }, () => {
      if (intent.object === 'setup_intent') authenticateSetupIntent(ctx, intent, passed);
      else {
        const invoice = invoiceAwaiting(ctx, intent);
        authenticatePaymentIntent(ctx, intent, passed);
        if (invoice) settleAuthenticatedInvoice(ctx, invoice, intent);
      }
    });
  } catch (error) {
    if (!(error instanceof StripeApiError)) throw error;
    return html(res, 400, page('Cannot authenticate', `<p>${esc(error.body.message)}</p>`));
  }
  await durable();
  const next = afterChallenge(ctx, intent, returnUrl);
  if (next) return redirect(res, next);
  const ok = intent.status === 'succeeded' || intent.status === 'requires_capture';
  return html(res, 200, page(ok ? 'Authentication complete' : 'Authentication failed', `<p>Status: ${esc(intent.status)}</p>`));
};

const checkout = async (ctx: ApiContext, id: string, req: IncomingMessage, res: ServerResponse, durable: () => Promise<void>): Promise<void> => {
  const session = ctx.state.checkoutSessions.get(id);
  if (!session) return html(res, 404, page('Unknown Checkout Session', '<p>No such Checkout Session.</p>'));
  if (session.status === 'complete' && session.success_url) return redirect(res, successUrlOf(session));
  if (session.status !== 'open') return html(res, 410, page('This Checkout Session has expired', ''));
  if (req.method === 'GET') {
    const failed = new URL(req.url ?? '/', 'http://local').searchParams.has('failed');
    return html(res, 200, checkoutPage(session, failed ? 'Authentication failed. Try another card.' : undefined));
  }
  const pm = parseForm(await readBody(req))['payment_method'];
  if (typeof pm !== 'string' || !TEST_CARDS.some((c) => c.token === pm)) return html(res, 400, checkoutPage(session, 'Choose one of the test cards.'));
  let error: string | undefined;
  ctx.events.during({ id: newId('req'), idempotencyKey: null }, () => {
    try {
      confirmSession(ctx, session, pm);
    } catch (e) {
      if (!(e instanceof StripeApiError)) throw e;
      error = e.body.message;
    }
  });
  await durable();
  if (error) return html(res, 402, checkoutPage(session, error));
  if (session.status === 'complete') return redirect(res, successUrlOf(session));
  const intentId = session.mode === 'setup' ? session.setup_intent : session.payment_intent;
  const intent = typeof intentId === 'string' ? intentById(ctx, intentId) : undefined;
  if (intent?.status === 'requires_action') return redirect(res, `${ctx.config.baseUrl}/authenticate/${intent.id}`);
  return html(res, 200, checkoutPage(session));
};

/** An invoice waiting for 3-D Secure: its hosted page links to the authentication step. */
const invoiceAwaitingAuthentication = (ctx: ApiContext, id: string, res: ServerResponse): boolean => {
  const invoice = ctx.state.invoices.get(id);
  if (!invoice || invoice.status !== 'open' || !invoice.confirmation_secret) return false;
  const pi = [...ctx.state.paymentIntents.values()].find((p) => p.client_secret === invoice.confirmation_secret?.client_secret);
  if (pi?.status !== 'requires_action') return false;
  const action = { href: `${ctx.config.baseUrl}/authenticate/${pi.id}`, label: 'Complete authentication to pay this invoice' };
  html(res, 200, hostedInvoicePage(invoiceDocument(invoice, ctx.state), { action }));
  return true;
};

/** Serves a payment page if the path is one; `durable` resolves once changes are saved. */
export const servePaymentPage = async (
  ctx: ApiContext,
  req: IncomingMessage,
  path: string,
  res: ServerResponse,
  durable: () => Promise<void>,
): Promise<boolean> => {
  if (req.method !== 'GET' && req.method !== 'POST') return false;
  const auth = /^\/authenticate\/([^/]+)$/.exec(path);
  if (auth?.[1]) {
    await authenticate(ctx, decodeURIComponent(auth[1]), req, res, durable);
    return true;
  }
  const co = /^\/checkout\/([^/]+)(\/return)?$/.exec(path);
  if (co?.[1]) {
    await checkout(ctx, decodeURIComponent(co[1]), req, res, durable);
    return true;
  }
  const inv = /^\/invoices\/([^/]+)\/hosted$/.exec(path);
  if (inv?.[1] && req.method === 'GET') return invoiceAwaitingAuthentication(ctx, decodeURIComponent(inv[1]), res);
  return false;
};
