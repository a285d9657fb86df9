/**
 * The typed client of the billing API. Its operations, paths and methods come from the route
 * table (`contracts/routes.ts`); its request and answer types from the API contract
 * (`src/api`), the same zod schemas the handlers validate with and the OpenAPI document is
 * generated from: no shape is copied by hand. Used by the web page, the benchmarks and the
 * end-to-end tests.
 *
 * - Writes (POST, DELETE) carry an `Idempotency-Key`: the one given, or one made per call and
 *   reused by every retry of that call, so a retry never acts twice (routes that do not honour
 *   the key ignore it; the route table's `idempotency` says which do).
 * - 429 and 503 are retried after `Retry-After` (seconds or an HTTP date; an exponential
 *   backoff when absent), a bounded number of times. A 503 on a write is retried only when its
 *   route honours the key; a 429 always (the API refused it before doing anything).
 * - A failure is a `BillingApiError` with the API's `error.code`, `message` and `details`.
 *
 * @example
 * const billing = createBillingClient({ baseUrl: 'https://api.example.com/api/billing', token: () => jwt });
 * await billing.call('trackUsage', { body: { resource_type: 'api_calls', usage_amount: 100 } });
 * const { invoice } = await billing.call('getInvoice', { params: { id: 'in_123' } });
 */
import type { ApiContract, OperationName } from '../../src/api';
import type { BodyOf, QueryOf, SuccessBody } from '../../src/api/define';
import { routes, type Route } from '../../contracts/routes';

type RouteOf<N extends OperationName> = Extract<(typeof routes)[number], { operation: N }>;

/** `{id}` in `/invoices/{id}` -> `'id'`. */
type PathParams<P extends string> = P extends `${string}{${infer Name}}${infer Rest}` ? Name | PathParams<Rest> : never;

/** What one call sends: the body and query the contract takes, the path's parameters, and options. */
export type CallInput<N extends OperationName> = {
  readonly idempotencyKey?: string;
  readonly headers?: Readonly<Record<string, string>>;
} & (BodyOf<ApiContract[N]> extends undefined ? { readonly body?: undefined } : { readonly body: BodyOf<ApiContract[N]> }) &
  (QueryOf<ApiContract[N]> extends undefined ? { readonly query?: undefined } : { readonly query?: QueryOf<ApiContract[N]> }) &
  ([PathParams<RouteOf<N>['path']>] extends [never]
    ? { readonly params?: undefined }
    : { readonly params: Readonly<Record<PathParams<RouteOf<N>['path']>, string>> });

/** The success answer of an operation, as its contract declares it. */
export type CallOutput<N extends OperationName> = SuccessBody<ApiContract[N]>;

/** One field a 400 names (`records.3.usage_amount`) and why. */
export interface FieldIssue {
  readonly field: string;
  readonly message: string;
}

export class BillingApiError extends Error {
  override readonly name = 'BillingApiError';
  constructor(
    /** 0 when the API could not be reached. */
    readonly status: number,
    message: string,
    readonly code: string | null = null,
    readonly details: readonly FieldIssue[] = [],
  ) {
    super(message);
  }
}

/** An answer as it came: status, headers and body text (for bodies that are not JSON, and for tests). */
export interface RawAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

export interface RetryPolicy {
  /** Tries in all, the first included (default 4). */
  readonly attempts: number;
  /** The longest wait between tries, whatever `Retry-After` says (default 30 s). */
  readonly maxDelayMs: number;
  /** The first backoff when no `Retry-After` is given, doubled each time (default 250 ms). */
  readonly baseDelayMs: number;
}

export interface BillingClientOptions {
  /** E.g. `/api/billing` (same origin) or `https://abc.execute-api.eu-west-1.amazonaws.com/api/billing`. */
  readonly baseUrl: string;
  /** The bearer token for each call (null: none, for public routes). */
  readonly token?: () => string | null | Promise<string | null>;
  readonly retry?: Partial<RetryPolicy>;
  readonly fetch?: typeof fetch;
  /** How to wait between retries (tests pass a fake). */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Makes an Idempotency-Key (default `crypto.randomUUID()`). */
  readonly newKey?: () => string;
  /**
   * `auto` (the default): every write carries a key, the caller's or a new one. `given`: only
   * the caller's (a benchmark replaying a workload whose requests say whether they have one).
   */
  readonly idempotencyKeys?: 'auto' | 'given';
  /** Called with every answer whose status is 401, before the error is thrown (the page signs out). */
  readonly onUnauthorized?: () => void;
  /** Extra `RequestInit` fields for every call (the page sends `cache: 'no-store'`). */
  readonly init?: Omit<RequestInit, 'method' | 'headers' | 'body'>;
}

export interface RawRequest {
  readonly method: string;
  /** Below `baseUrl`, with its query string: `/usage/history?limit=5`. */
  readonly path: string;
  /** A JSON body (serialized here), or `text` sent as it is. */
  readonly json?: unknown;
  readonly text?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Retry 429/503 as the policy says (default false: a raw call shows what the API answered). */
  readonly retry?: boolean;
  /** A 503 may be retried (the request is safe to repeat). */
  readonly repeatable?: boolean;
}

export interface BillingClient {
  /** Calls one operation; resolves to its success body (JSON) or throws a `BillingApiError`. */
  call<N extends OperationName>(operation: N, input?: CallInput<N>): Promise<CallOutput<N>>;
  /** Calls one operation whose answer is not JSON (the CSV exports): the text and headers. */
  callText<N extends OperationName>(operation: N, input?: CallInput<N>): Promise<RawAnswer>;
  /** Any request, answered as it came (no error thrown for a 4xx): for tests of refusals. */
  raw(request: RawRequest): Promise<RawAnswer>;
}

const DEFAULT_RETRY: RetryPolicy = { attempts: 4, maxDelayMs: 30_000, baseDelayMs: 250 };

/**
 * How long `Retry-After` asks to wait: delta-seconds or an HTTP date (RFC 9110 10.2.3);
 * null when absent or unreadable.
 * @example retryAfterMs('2', Date.now()) // 2000
 */
export const retryAfterMs = (value: string | null, now: number): number | null => {
  if (value === null || value.trim() === '') return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
};

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

const parseJson = (text: string): unknown => {
  if (text.length === 0) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
};

/** `{"error": {"code", "message", "details"?}}` from the handlers; `{"message"}` from API Gateway itself. */
export const errorOf = (status: number, text: string): BillingApiError => {
  const body = parseJson(text);
  if (isRecord(body) && isRecord(body.error) && typeof body.error.message === 'string') {
    const details = Array.isArray(body.error.details)
      ? body.error.details.flatMap((d: unknown) => (isRecord(d) && typeof d.field === 'string' && typeof d.message === 'string' ? [{ field: d.field, message: d.message }] : []))
      : [];
    return new BillingApiError(status, body.error.message, typeof body.error.code === 'string' ? body.error.code : null, details);
  }
  if (isRecord(body) && typeof body.message === 'string') return new BillingApiError(status, body.message);
  return new BillingApiError(status, `The billing API answered ${status}`);
};

const routeOf = (operation: string): Route => {
  const route: Route | undefined = routes.find((r) => r.operation === operation);
  if (!route) throw new Error(`no route for operation ${operation}`);
  return route;
};

/** `/invoices/{id}` with `{id: 'in_1'}` -> `/invoices/in_1` (each value URL-encoded; a missing one is an error). */
export const fillPath = (path: string, params: Readonly<Record<string, string>> = {}): string =>
  path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`path parameter ${name} is missing`);
    return encodeURIComponent(value);
  });

const queryString = (query: unknown): string => {
  if (!isRecord(query)) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== null) params.set(key, String(value));
  const qs = params.toString();
  return qs ? `?${qs}` : '';
};

export const createBillingClient = (options: BillingClientOptions): BillingClient => {
  const base = options.baseUrl.replace(/\/+$/, '');
  const policy: RetryPolicy = { ...DEFAULT_RETRY, ...options.retry };
  const doFetch = options.fetch ?? ((...args: Parameters<typeof fetch>) => fetch(...args));
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const newKey = options.newKey ?? (() => crypto.randomUUID());

  const once = async (request: RawRequest): Promise<RawAnswer> => {
    const token = options.token ? await options.token() : null;
    const hasBody = request.json !== undefined || request.text !== undefined;
    let response: Response;
    try {
      response = await doFetch(`${base}${request.path}`, {
        ...options.init,
        method: request.method,
        headers: {
          accept: 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(request.json !== undefined ? { 'content-type': 'application/json' } : {}),
          ...request.headers,
        },
        ...(hasBody ? { body: request.text ?? JSON.stringify(request.json) } : {}),
      });
    } catch {
      throw new BillingApiError(0, 'The billing API could not be reached. Check your connection and try again.');
    }
    const answer = { status: response.status, headers: response.headers, text: await response.text() };
    if (answer.status === 401) options.onUnauthorized?.();
    return answer;
  };

  const raw = async (request: RawRequest): Promise<RawAnswer> => {
    for (let attempt = 1; ; attempt++) {
      const answer = await once(request);
      const retryable = answer.status === 429 || (answer.status === 503 && request.repeatable === true);
      if (!request.retry || !retryable || attempt >= policy.attempts) return answer;
      const asked = retryAfterMs(answer.headers.get('retry-after'), Date.now());
      await sleep(Math.min(policy.maxDelayMs, asked ?? policy.baseDelayMs * 2 ** (attempt - 1)));
    }
  };

  const send = async (operation: string, input: CallInput<OperationName> | undefined, accept: string): Promise<RawAnswer> => {
    const route = routeOf(operation);
    const write = route.method !== 'GET';
    const idempotencyKey = write ? (input?.idempotencyKey ?? (options.idempotencyKeys === 'given' ? undefined : newKey())) : undefined;
    const answer = await raw({
      method: route.method,
      path: `${fillPath(route.path, input?.params as Record<string, string> | undefined)}${queryString(input?.query)}`,
      ...(input?.body === undefined ? {} : { json: input.body }),
      headers: { accept, ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}), ...input?.headers },
      retry: true,
      repeatable: !write || route.idempotency !== undefined,
    });
    if (answer.status >= 400) throw errorOf(answer.status, answer.text);
    return answer;
  };

  return {
    call: async (operation, input) => parseJson((await send(operation, input as CallInput<OperationName> | undefined, 'application/json')).text) as CallOutput<typeof operation>,
    callText: (operation, input) => send(operation, input as CallInput<OperationName> | undefined, 'text/csv, text/plain, */*'),
    raw,
  };
};
