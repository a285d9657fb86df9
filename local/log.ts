/**
 * What `npm start` prints while it runs: one short line per request, per queue batch and per
 * Stripe webhook, instead of the handlers' structured JSON (which `--json-logs` keeps, and
 * which deployed functions always write). Handlers' warnings and errors still print in full:
 * `npm start` lowers their Powertools log level to WARN, nothing else.
 */

import type { AnsweredRequest } from './http-api';
import type { Invocation } from './sqs';

/** One HTTP request the local API answered. */
export interface RequestLine {
  readonly method: string;
  /** The path without the query string (a query may carry what a log should not). */
  readonly path: string;
  readonly status: number;
  readonly durationMs: number;
  /** The caller's tenant, when its token has one; `admin` for an admin token without one. */
  readonly caller?: string;
  /** For an error answer: our own body's `error.code` and message, or API Gateway's `message`. */
  readonly refusal?: string;
}

/** One Stripe webhook our API received. */
export interface StripeWebhookLine {
  readonly eventType: string;
  readonly eventId: string;
  readonly status: number;
  readonly durationMs: number;
  /** What the handler made of it (`processed`, `duplicate`, ...), or why it refused it. */
  readonly outcome?: string;
}

/** One invocation of a queue consumer by the local event source poller. */
export interface QueueBatchLine {
  readonly queue: string;
  readonly messages: number;
  /** Messages left for redelivery: the reported failures, or the whole batch when the function failed. */
  readonly failed: number;
  readonly durationMs: number;
  /** Why the whole batch failed (the function threw or answered an invalid batch response). */
  readonly reason?: string;
}

/** Where the local runner's lines go (`npm start` prints them; tests collect them). */
export interface LocalLog {
  request(line: RequestLine): void;
  stripeWebhook(line: StripeWebhookLine): void;
  queueBatch(line: QueueBatchLine): void;
}

const ms = (durationMs: number): string => `${Math.round(durationMs)} ms`;

/**
 * @example formatRequest({ method: 'POST', path: '/api/billing/usage/track', status: 202, durationMs: 12.4, caller: 'org-demo' })
 * // 'POST /api/billing/usage/track 202 12 ms org-demo'
 */
export const formatRequest = (line: RequestLine): string =>
  [line.method, line.path, String(line.status), ms(line.durationMs), line.caller, line.refusal && `(${line.refusal})`]
    .filter((part) => part !== undefined && part !== '')
    .join(' ');

/**
 * @example formatStripeWebhook({ eventType: 'invoice.paid', eventId: 'evt_1', status: 200, durationMs: 8, outcome: 'processed' })
 * // 'stripe webhook invoice.paid evt_1 200 8 ms processed'
 */
export const formatStripeWebhook = (line: StripeWebhookLine): string =>
  ['stripe webhook', line.eventType, line.eventId, String(line.status), ms(line.durationMs), line.outcome]
    .filter((part) => part !== undefined && part !== '')
    .join(' ');

/**
 * @example formatQueueBatch({ queue: 'usage', messages: 10, failed: 0, durationMs: 35 })
 * // 'queue usage 10 messages 0 failed 35 ms'
 */
export const formatQueueBatch = (line: QueueBatchLine): string => {
  const messages = `${line.messages} ${line.messages === 1 ? 'message' : 'messages'}`;
  const base = `queue ${line.queue} ${messages} ${line.failed} failed ${ms(line.durationMs)}`;
  return line.reason ? `${base}: ${line.reason}` : base;
};

/**
 * The lines `npm start` prints by default, each through `write` (stdout).
 *
 * @example
 * const log = readableLog();
 * log.request({ method: 'GET', path: '/api/billing/plans', status: 200, durationMs: 4 });
 */
export const readableLog = (write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): LocalLog => ({
  request: (line) => write(formatRequest(line)),
  stripeWebhook: (line) => write(formatStripeWebhook(line)),
  queueBatch: (line) => write(formatQueueBatch(line)),
});

/**
 * The Powertools log level `npm start` gives the in-process handlers unless `--json-logs` (or
 * POWERTOOLS_LOG_LEVEL) says otherwise: their warnings and errors print, their per-request info
 * lines do not (the lines above say the same in one line each).
 */
export const QUIET_HANDLER_LOG_LEVEL = 'WARN';

/** A JSON body's value, or undefined when the body is not JSON (a page, a PDF, nothing). */
const jsonBody = (body: string | Buffer | undefined): unknown => {
  if (body === undefined || body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString()) as unknown;
  } catch (error) {
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
};

const field = (value: unknown, ...path: string[]): string | undefined => {
  let at = value;
  for (const key of path) at = typeof at === 'object' && at !== null ? (at as Record<string, unknown>)[key] : undefined;
  return typeof at === 'string' && at !== '' ? at : undefined;
};

/** Why an error answer was given: our own `{"error": {"code", "message"}}` or API Gateway's `{"message"}`. */
const refusalOf = (request: AnsweredRequest): string | undefined => {
  const { response } = request;
  if (request.status < 400 || !response || response.isBase64Encoded) return undefined;
  const body = jsonBody(response.body);
  const code = field(body, 'error', 'code');
  if (!code) return field(body, 'message');
  const message = field(body, 'error', 'message');
  return message ? `${code}: ${message}` : code;
};

/**
 * Turns what the local API answered into the runner's lines: a Stripe webhook (the route Stripe's
 * signature authenticates) as its event, an API or `/__local/` request as a request line; the
 * page's own files (HTML, scripts, styles) print nothing. `callerOf` names the caller from the
 * token's claims, as the handlers read them.
 *
 * @example
 * startHttpApi({ ..., onAnswered: logAnswered(readableLog(), (claims) => claims['custom:tenant_id']) });
 */
export const logAnswered =
  (log: LocalLog, callerOf: (claims: Readonly<Record<string, string>>) => string | undefined) =>
  (request: AnsweredRequest): void => {
    if (request.local && !request.path.startsWith('/__local/')) return;
    if (request.route?.auth === 'stripe') {
      const event = request.body ? jsonBody(request.body) : undefined;
      const eventType = field(event, 'type');
      const eventId = field(event, 'id');
      if (eventType && eventId) {
        const answer = request.response?.isBase64Encoded ? undefined : jsonBody(request.response?.body);
        const outcome = field(answer, 'outcome') ?? refusalOf(request);
        log.stripeWebhook({ eventType, eventId, status: request.status, durationMs: request.durationMs, ...(outcome ? { outcome } : {}) });
        return;
      }
    }
    const caller = request.claims ? callerOf(request.claims) : undefined;
    const refusal = refusalOf(request);
    log.request({
      method: request.method,
      path: request.path,
      status: request.status,
      durationMs: request.durationMs,
      ...(caller ? { caller } : {}),
      ...(refusal ? { refusal } : {}),
    });
  };

/**
 * The line for one invocation of `queue`'s consumer by the local event source poller.
 *
 * @example
 * startEventSourcePoller({ ..., onInvocation: (invocation) => log.queueBatch(queueBatchLine('usage', invocation)) });
 */
export const queueBatchLine = (queue: string, invocation: Invocation): QueueBatchLine => {
  const { settlement } = invocation;
  const messages = invocation.messageIds.length;
  return {
    queue,
    messages,
    failed: settlement.kind === 'success' ? 0 : settlement.kind === 'partial' ? settlement.failed.size : messages,
    durationMs: invocation.durationMs,
    ...(settlement.kind === 'failure' ? { reason: settlement.reason } : {}),
  };
};
