import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { API_VERSION } from '../config';
import {
  authenticationFailed,
  idempotencyInUse,
  idempotencyMismatch,
  internalError,
  invalidRequest,
  routeMissing,
  StripeApiError,
} from '../errors';
import { fingerprint, type IdempotencyKeys } from '../idempotency';
import { newId } from '../ids';
import { type ApiContext, requestClock, type Route } from '../resources/context';
import { parseForm } from './form';
import { invoiceDocument } from './invoice-document';
import { hostedInvoicePage } from './invoice-page';
import { invoicePdf } from './invoice-pdf';
import { servePaymentPage } from './payment-pages';
import { servePortalPage } from './portal-page';
import { router } from './router';
import { checkStripeVersion } from './version';

export interface StripeServerOptions {
  readonly routes: readonly Route[];
  readonly ctx: ApiContext;
  readonly idempotency: IdempotencyKeys;
  /**
   * Runs before each API response (success or error) is sent, once the handler is done:
   * `mutating` says the request could have changed state. It resolves when the response may go,
   * i.e. when the state it reflects is durable.
   */
  readonly beforeReply: (mutating: boolean) => Promise<void>;
  /** Runs after each API response is sent: start webhook deliveries. */
  readonly afterRequest: () => void;
  /** Injected faults: the next N API calls answer 429 (Stripe's rate limit), for retry tests. */
  readonly faults: { rateLimitNext: number };
}

const MAX_BODY = 1024 * 1024;

const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) reject(invalidRequest('Request body too large.', { status: 413 }));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

/** Any test-mode secret or restricted key is accepted, as Bearer or as the Basic-auth user (`curl -u sk_test_x:`). */
const authenticate = (header: string | undefined): void => {
  if (!header)
    throw authenticationFailed(
      "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
    );
  const [scheme, value = ''] = header.split(' ', 2);
  const key = scheme?.toLowerCase() === 'basic' ? (Buffer.from(value, 'base64').toString('utf8').split(':')[0] ?? '') : scheme?.toLowerCase() === 'bearer' ? value.trim() : '';
  if (/^(sk|rk)_test_\w+/.test(key)) return;
  if (/^(sk|rk)_live_/.test(key))
    throw authenticationFailed('The local Stripe endpoint only accepts test mode keys (sk_test_...); this is a live mode key.');
  const shown = key.length > 8 ? `${key.slice(0, 8)}${'*'.repeat(Math.max(0, key.length - 12))}${key.slice(-4)}` : key;
  throw authenticationFailed(`Invalid API Key provided: ${shown}`);
};

interface Reply {
  readonly status: number;
  readonly body: string;
  readonly headers?: Record<string, string>;
}

const send = (res: ServerResponse, requestId: string, reply: Reply, extra: Record<string, string> = {}): void => {
  res.writeHead(reply.status, {
    'Content-Type': 'application/json',
    'Request-Id': requestId,
    'Stripe-Version': API_VERSION,
    ...(reply.status >= 400 ? { 'Stripe-Should-Retry': reply.status === 409 ? 'true' : 'false' } : {}),
    ...reply.headers,
    ...extra,
  });
  res.end(reply.body);
};

const errorReply = (error: StripeApiError): Reply => ({ status: error.status, body: JSON.stringify({ error: error.body }, null, 2) });

/** The hosted invoice page and PDF links that finalized invoices carry (no API key needed). */
const servePage = async (ctx: ApiContext, path: string, res: ServerResponse): Promise<boolean> => {
  const m = /^\/invoices\/([^/]+)\/(hosted|pdf)$/.exec(path);
  if (!m?.[1]) return false;
  const invoice = ctx.state.invoices.get(decodeURIComponent(m[1]));
  if (!invoice) {
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('No such invoice');
    return true;
  }
  // Read before rendering yields, so the document shows one state of the invoice.
  const doc = invoiceDocument(invoice, ctx.state);
  if (m[2] === 'pdf') {
    const pdf = await invoicePdf(doc);
    res.writeHead(200, { 'Content-Type': 'application/pdf', 'Content-Length': String(pdf.length), 'Content-Disposition': `inline; filename="${doc.number}.pdf"` });
    res.end(pdf);
  } else {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(hostedInvoicePage(doc));
  }
  return true;
};

/**
 * The HTTP face of the local Stripe endpoint: authentication, form parsing, routing, Stripe's
 * idempotent requests, and errors in Stripe's shape. Each handler runs without yielding to
 * other requests between its checks and its changes (test clock `advance` aside).
 */
export const createStripeServer = (options: StripeServerOptions): Server => {
  const { ctx, idempotency } = options;
  const match = router(options.routes);

  /** The API answer, or null when a page was served. `run.invoked` says whether a handler ran (and may have changed state). */
  const handle = async (
    req: IncomingMessage,
    res: ServerResponse,
    requestId: string,
    run: { invoked: boolean },
  ): Promise<{ reply: Reply; extra?: Record<string, string> } | null> => {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://local');
    if (await servePaymentPage(ctx, req, url.pathname, res, () => options.beforeReply(true))) return null;
    if (method === 'GET' && ((await servePage(ctx, url.pathname, res)) || servePortalPage(ctx, url.pathname, res))) return null;
    authenticate(req.headers.authorization);
    checkStripeVersion(req.headers['stripe-version']);
    if (options.faults.rateLimitNext > 0) {
      options.faults.rateLimitNext -= 1;
      throw new StripeApiError(429, {
        type: 'invalid_request_error',
        code: 'rate_limit',
        message: 'Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.',
      });
    }
    const raw = method === 'POST' ? await readBody(req) : url.search.slice(1);
    const params = parseForm(raw);
    const found = match(method, url.pathname);
    if (found === null || found === 'method_not_allowed') throw routeMissing(method, url.pathname);

    const headerKey = req.headers['idempotency-key'];
    const key = method === 'POST' && typeof headerKey === 'string' && headerKey !== '' ? headerKey : null;
    const print = key ? fingerprint(method, url.pathname, params) : '';
    if (key) {
      const seen = idempotency.lookup(key, print);
      if (seen.kind === 'replay') {
        return { reply: { status: seen.entry.status, body: seen.entry.body }, extra: { 'Idempotency-Key': key, 'Idempotent-Replayed': 'true' } };
      }
      if (seen.kind === 'mismatch') throw idempotencyMismatch(key);
      if (seen.kind === 'in_flight') throw idempotencyInUse(key);
      idempotency.begin(key);
    }
    let reply: Reply;
    run.invoked = true;
    try {
      const apiRequest = { params, path: found.path };
      // A request about a test clock's customer runs on that clock's time.
      const value: unknown = await ctx.events.during({ id: requestId, idempotencyKey: key }, () =>
        ctx.scope.within(requestClock(ctx, apiRequest), () => found.route.handler(ctx, apiRequest)),
      );
      reply = { status: 200, body: JSON.stringify(value, null, 2) };
      if (key) idempotency.finish(key, { method, path: url.pathname, fingerprint: print, status: reply.status, body: reply.body });
    } catch (error) {
      // Declines are outcomes and replay; refusals (validation) are not stored, so the key can be retried.
      if (key) idempotency.finish(key, error instanceof StripeApiError && error.executed ? { method, path: url.pathname, fingerprint: print, ...errorReply(error) } : null);
      throw error;
    }
    return { reply, ...(key ? { extra: { 'Idempotency-Key': key } } : {}) };
  };

  const answer = async (req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> => {
    const run = { invoked: false };
    let out: { reply: Reply; extra?: Record<string, string> } | null;
    try {
      out = await handle(req, res, requestId, run);
    } catch (error) {
      const apiError = error instanceof StripeApiError ? error : internalError(error);
      if (!(error instanceof StripeApiError)) console.error('local Stripe: internal error', error);
      out = res.headersSent ? null : { reply: errorReply(apiError) };
      if (!out) res.end();
    }
    if (!out) return;
    try {
      // Nothing is answered before the state it reflects would survive a crash.
      // GETs read; any other request whose handler ran may have changed state (a decline that
      // counts an attempt included). Replays, rate limits and refusals before the handler did not.
      await options.beforeReply(run.invoked && req.method !== 'GET' && req.method !== 'HEAD');
    } catch (error) {
      console.error('local Stripe: state not saved', error);
      out = { reply: errorReply(internalError(error)) };
    }
    send(res, requestId, out.reply, out.extra);
  };

  return createServer((req, res) => {
    const requestId = newId('req');
    answer(req, res, requestId)
      .catch((error: unknown) => {
        console.error('local Stripe: internal error', error);
        if (!res.headersSent) send(res, requestId, errorReply(internalError(error)));
        else res.end();
      })
      .finally(options.afterRequest);
  });
};
