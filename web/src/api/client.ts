/**
 * The one place the page talks to the billing API: bearer token on every call, JSON in and
 * out, and failures turned into `ApiError` carrying the API's own `error.message` and the
 * fields it names (`error.details`).
 */

import type {
  CreditAnswer,
  CreditInput,
  Entitlements,
  FieldIssue,
  RefundAnswer,
  RefundInput,
  RetryAnswer,
  RetryInput,
  SpendCapAnswer,
  SpendCapInput,
  TenantPage,
  TenantPicture,
  TenantSearch,
  TrialAnswer,
  TrialInput,
} from './types';

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
    readonly code: string | null = null,
    readonly details: readonly FieldIssue[] = [],
  ) {
    super(message);
  }
}

export interface ApiClient {
  get<T>(path: string, query?: Record<string, string | number | undefined>): Promise<T>;
  post<T>(path: string, body: unknown, options?: { idempotencyKey?: string }): Promise<T>;
  /** A GET whose answer is not JSON (a CSV export): its text and response headers; failures as for `get`. */
  getText(path: string, query?: Record<string, string | number | undefined>, options?: { accept?: string }): Promise<TextAnswer>;
}

export interface TextAnswer {
  readonly text: string;
  readonly headers: Headers;
}

export interface ApiClientOptions {
  /** E.g. `/api/billing` (same origin) or `https://abc.execute-api.eu-west-1.amazonaws.com/api/billing`. */
  readonly baseUrl: string;
  readonly token: () => string | null;
  /** The API refused the token (expired or revoked): the page signs out. */
  readonly onUnauthorized: () => void;
}

/** The fields a refused request names (a 400's `error.details`); none for any other failure. */
export const fieldIssuesOf = (error: unknown): readonly FieldIssue[] => (error instanceof ApiError && error.status === 400 ? error.details : []);

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

const fieldIssues = (details: unknown): FieldIssue[] =>
  Array.isArray(details)
    ? details.flatMap((d: unknown) => (isRecord(d) && typeof d.field === 'string' && typeof d.message === 'string' ? [{ field: d.field, message: d.message }] : []))
    : [];

/** `{"error": {"code", "message", "details"?}}` from our handlers, `{"message"}` from API Gateway itself. */
const errorFrom = (status: number, body: unknown): ApiError => {
  if (isRecord(body) && isRecord(body.error) && typeof body.error.message === 'string') {
    return new ApiError(status, body.error.message, typeof body.error.code === 'string' ? body.error.code : null, fieldIssues(body.error.details));
  }
  if (isRecord(body) && typeof body.message === 'string') return new ApiError(status, body.message);
  return new ApiError(status, `The billing API answered ${status}`);
};

const parseJson = (text: string): unknown => {
  if (text.length === 0) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
};

export const createApiClient = (options: ApiClientOptions): ApiClient => {
  const base = options.baseUrl.replace(/\/+$/, '');

  const send = async (method: 'GET' | 'POST', path: string, init: { body?: unknown; headers?: Record<string, string> } = {}): Promise<TextAnswer> => {
    const token = options.token();
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        method,
        headers: {
          accept: 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...init.headers,
        },
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
        cache: 'no-store',
      });
    } catch {
      throw new ApiError(0, 'The billing API could not be reached. Check your connection and try again.');
    }
    const text = await response.text();
    if (!response.ok) {
      const error = errorFrom(response.status, parseJson(text));
      if (response.status === 401) options.onUnauthorized();
      throw error;
    }
    return { text, headers: response.headers };
  };

  const request = async <T>(method: 'GET' | 'POST', path: string, init: { body?: unknown; headers?: Record<string, string> } = {}): Promise<T> =>
    parseJson((await send(method, path, init)).text) as T;

  const withQuery = (path: string, query: Record<string, string | number | undefined> = {}): string => {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
    const qs = params.toString();
    return qs ? `${path}?${qs}` : path;
  };

  return {
    get: (path, query) => request('GET', withQuery(path, query)),
    getText: (path, query, { accept = 'text/plain' } = {}) => send('GET', withQuery(path, query), { headers: { accept } }),
    post: (path, body, { idempotencyKey } = {}) =>
      request('POST', path, { body, ...(idempotencyKey ? { headers: { 'idempotency-key': idempotencyKey } } : {}) }),
  };
};

/** `GET /entitlements`: the tenant's access, usage against its quotas, headroom and spend cap. */
export const getEntitlements = (api: ApiClient): Promise<Entitlements> => api.get<Entitlements>('/entitlements');

/** `POST /spend-cap`: sets the maximum overage per period (integer minor units), or removes it with `{ amount: null }`. */
export const setSpendCap = (api: ApiClient, body: SpendCapInput, options: { idempotencyKey?: string } = {}): Promise<SpendCapAnswer> =>
  api.post<SpendCapAnswer>('/spend-cap', body, options);

// ---------------------------------------------------------------------------------------------
// Admin (admin tokens only; the API enforces it)

/** `GET /admin/tenants`: a page of tenants matching every criterion given (`query` is a prefix of id, email or name). */
export const searchTenants = (api: ApiClient, search: TenantSearch, page: { limit?: number; cursor?: string | null } = {}): Promise<TenantPage> =>
  api.get<TenantPage>('/admin/tenants', {
    query: search.query,
    status: search.status,
    plan_id: search.plan_id,
    limit: page.limit,
    cursor: page.cursor ?? undefined,
  });

const tenantPath = (tenantId: string, action = ''): string => `/admin/tenants/${encodeURIComponent(tenantId)}${action ? `/${action}` : ''}`;

/** `GET /admin/tenants/{id}`: the tenant's whole picture (a 404 for a tenant billing never saw). */
export const getTenantPicture = (api: ApiClient, tenantId: string): Promise<TenantPicture> => api.get<TenantPicture>(tenantPath(tenantId));

/** The admin actions: each needs an `Idempotency-Key` (one per confirmed action, reused only to resend the same one). */
export const creditTenant = (api: ApiClient, tenantId: string, body: CreditInput, idempotencyKey: string): Promise<CreditAnswer> =>
  api.post<CreditAnswer>(tenantPath(tenantId, 'credit'), body, { idempotencyKey });

export const refundTenant = (api: ApiClient, tenantId: string, body: RefundInput, idempotencyKey: string): Promise<RefundAnswer> =>
  api.post<RefundAnswer>(tenantPath(tenantId, 'refund'), body, { idempotencyKey });

export const extendTrial = (api: ApiClient, tenantId: string, body: TrialInput, idempotencyKey: string): Promise<TrialAnswer> =>
  api.post<TrialAnswer>(tenantPath(tenantId, 'trial'), body, { idempotencyKey });

export const retryPayment = (api: ApiClient, tenantId: string, body: RetryInput, idempotencyKey: string): Promise<RetryAnswer> =>
  api.post<RetryAnswer>(tenantPath(tenantId, 'retry-payment'), body, { idempotencyKey });
