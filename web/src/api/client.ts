/**
 * The page's billing API client: the typed client (`packages/client`), whose operations, paths
 * and types come from the route table and the API contract, set up for the page: the signed-in
 * person's token on every call, sign-out on a 401, and no HTTP cache.
 *
 * @example
 * const api = createApiClient({ baseUrl: '/api/billing', token: () => session.token, onUnauthorized: signOut });
 * const { invoice } = await api.call('getInvoice', { params: { id: 'in_123' } });
 */
import { BillingApiError, createBillingClient, type BillingClient, type FieldIssue } from '../../../packages/client';

/** A failed call: the HTTP status (0 when no answer came), the API's `error.code`, `message` and `details`. */
export { BillingApiError as ApiError };

export type ApiClient = BillingClient;

export interface ApiClientOptions {
  /** E.g. `/api/billing` (same origin) or `https://abc.execute-api.eu-west-1.amazonaws.com/api/billing`. */
  readonly baseUrl: string;
  readonly token: () => string | null;
  /** The API refused the token (expired or revoked): the page signs out. */
  readonly onUnauthorized: () => void;
}

export const createApiClient = (options: ApiClientOptions): ApiClient =>
  createBillingClient({
    baseUrl: options.baseUrl,
    token: options.token,
    onUnauthorized: options.onUnauthorized,
    // Every tab shows the API's answer now, never one the browser kept.
    init: { cache: 'no-store' },
  });

/** The fields a refused request names (a 400's `error.details`); none for any other failure. */
export const fieldIssuesOf = (error: unknown): readonly FieldIssue[] => (error instanceof BillingApiError && error.status === 400 ? error.details : []);
