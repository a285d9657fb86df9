/**
 * THE route table (SPEC section 7). The CDK stack creates one Lambda per function group and
 * one HTTP API route per entry; the local runner serves exactly the same entries; each group's
 * handler dispatches by `routeKey` to the operation named here. Plain data: no CDK import,
 * so Lambda bundles and the local runner can load it.
 */
import type { FunctionNeeds } from './environment';
import type { ApiScope } from './scopes';

export type { TableAccess } from './environment';

export const API_PREFIX = '/api/billing';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * Who may call a route: `public` needs no token; `tenant` a valid JWT with a tenant claim;
 * `admin` a valid JWT in the admin group; `stripe` no JWT (the handler verifies Stripe's
 * signature on the raw body).
 */
export type RouteAuth = 'public' | 'tenant' | 'admin' | 'stripe';

/** A Lambda behind API routes; what it may touch is declared as data (`FunctionNeeds`). */
export interface FunctionGroup extends FunctionNeeds {
  /** Source file, relative to the repository root, exporting `handler`. */
  readonly entry: string;
  readonly description: string;
  readonly memoryMb?: number;
  readonly timeoutSeconds?: number;
}

export const functionGroups = {
  plans: {
    entry: 'functions/plans/handler.ts',
    description: 'Plan catalog and the OpenAPI document (public)',
    table: 'none',
    documentsApi: true,
  },
  subscriptions: {
    entry: 'functions/subscriptions/handler.ts',
    description: 'Create, change, cancel and read the tenant subscription; billing details; cards through Stripe Checkout and the portal',
    table: 'readwrite',
    stripe: true,
    publishes: true,
    redirects: true,
  },
  invoices: {
    entry: 'functions/invoices/handler.ts',
    description: 'The tenant invoices, mirrored from Stripe',
    table: 'read',
  },
  usage: {
    entry: 'functions/usage/handler.ts',
    description: 'Track usage onto the queue; read current usage and history',
    table: 'readwrite',
    sends: ['usage'],
  },
  events: {
    entry: 'functions/events/handler.ts',
    description: 'The tenant billing events (audit trail), read only',
    table: 'read',
  },
  entitlements: {
    entry: 'functions/entitlements/handler.ts',
    description: 'Entitlements (may this tenant do that?) from one read; the spend cap',
    table: 'readwrite',
    publishes: true,
  },
  admin: {
    entry: 'functions/admin/handler.ts',
    description: 'Admin: overview figures, process overages now; tenant search and picture; credit, refund, extend a trial, retry a payment',
    table: 'readwrite',
    stripe: true,
    publishes: true,
  },
  'stripe-webhook': {
    entry: 'functions/stripe-webhook/handler.ts',
    description: 'Stripe webhook: signature-verified, each event once',
    table: 'readwrite',
    stripe: true,
    publishes: true,
  },
  'api-clients': {
    entry: 'functions/api-clients/handler.ts',
    description: 'Machine credentials: create, list and revoke a tenant\'s API clients (Cognito app clients)',
    table: 'readwrite',
    apiClients: true,
  },
  webhooks: {
    entry: 'functions/webhooks/handler.ts',
    description: 'Tenant webhook endpoints: configure, rotate secrets, list deliveries',
    table: 'readwrite',
    webhookSecrets: true,
  },
} as const satisfies Record<string, FunctionGroup>;

export type FunctionGroupName = keyof typeof functionGroups;

export interface Route<G extends string = string> {
  readonly method: HttpMethod;
  /** Path below API_PREFIX, with `{param}` placeholders as API Gateway writes them. */
  readonly path: string;
  readonly group: G;
  /** The operation the group's handler runs for this route. */
  readonly operation: string;
  readonly auth: RouteAuth;
  /**
   * The scopes a machine credential (an API client's token) needs here: at least one of them.
   * None (the default) means people only: a machine token gets 403. Machine tokens are never
   * taken on `admin` routes, whatever this says.
   */
  readonly scopes?: readonly ApiScope[];
  /**
   * The route honours an `Idempotency-Key` header (writes that create money, subscriptions or
   * credentials): a retry with the same key and body gets the first answer, never a second
   * effect. `required`: a request without one is a 400 (the admin money actions). The handlers,
   * the OpenAPI document and the typed client (which retries a 503 only where this is set) read it.
   */
  readonly idempotency?: 'optional' | 'required';
}

export const routes = [
  { method: 'GET', path: '/plans', group: 'plans', operation: 'listPlans', auth: 'public' },
  { method: 'GET', path: '/openapi.json', group: 'plans', operation: 'openApiDocument', auth: 'public' },
  { method: 'POST', path: '/subscriptions/create', group: 'subscriptions', operation: 'createSubscription', auth: 'tenant', idempotency: 'optional' },
  { method: 'POST', path: '/subscriptions/update', group: 'subscriptions', operation: 'updateSubscription', auth: 'tenant', idempotency: 'optional' },
  { method: 'POST', path: '/subscriptions/cancel', group: 'subscriptions', operation: 'cancelSubscription', auth: 'tenant', idempotency: 'optional' },
  { method: 'GET', path: '/subscriptions/current', group: 'subscriptions', operation: 'currentSubscription', auth: 'tenant', scopes: ['billing/subscriptions.read'] },
  { method: 'POST', path: '/subscriptions/preview', group: 'subscriptions', operation: 'previewSubscriptionChange', auth: 'tenant' },
  { method: 'POST', path: '/payment-methods/setup', group: 'subscriptions', operation: 'setupPaymentMethod', auth: 'tenant' },
  { method: 'GET', path: '/payment-methods', group: 'subscriptions', operation: 'listPaymentMethods', auth: 'tenant' },
  { method: 'POST', path: '/billing-portal', group: 'subscriptions', operation: 'openBillingPortal', auth: 'tenant' },
  { method: 'GET', path: '/customer', group: 'subscriptions', operation: 'getBillingDetails', auth: 'tenant' },
  { method: 'POST', path: '/customer', group: 'subscriptions', operation: 'saveBillingDetails', auth: 'tenant', idempotency: 'optional' },
  { method: 'GET', path: '/invoices', group: 'invoices', operation: 'listInvoices', auth: 'tenant', scopes: ['billing/invoices.read'] },
  { method: 'GET', path: '/invoices/{id}', group: 'invoices', operation: 'getInvoice', auth: 'tenant', scopes: ['billing/invoices.read'] },
  { method: 'POST', path: '/usage/track', group: 'usage', operation: 'trackUsage', auth: 'tenant', scopes: ['billing/usage.write'], idempotency: 'optional' },
  { method: 'GET', path: '/usage/current', group: 'usage', operation: 'currentUsage', auth: 'tenant', scopes: ['billing/usage.read'] },
  { method: 'GET', path: '/usage/history', group: 'usage', operation: 'usageHistory', auth: 'tenant', scopes: ['billing/usage.read'] },
  { method: 'GET', path: '/entitlements', group: 'entitlements', operation: 'getEntitlements', auth: 'tenant', scopes: ['billing/subscriptions.read'] },
  { method: 'POST', path: '/spend-cap', group: 'entitlements', operation: 'setSpendCap', auth: 'tenant', idempotency: 'optional' },
  { method: 'GET', path: '/admin/tenants/{id}/entitlements', group: 'entitlements', operation: 'adminEntitlements', auth: 'admin' },
  { method: 'GET', path: '/admin/overview', group: 'admin', operation: 'overview', auth: 'admin' },
  { method: 'POST', path: '/admin/usage/process-overages', group: 'admin', operation: 'processOverages', auth: 'admin' },
  { method: 'GET', path: '/admin/tenants', group: 'admin', operation: 'searchTenants', auth: 'admin' },
  /** `{file}` is `<kind>.csv` (API Gateway takes a parameter only as a whole path segment). */
  { method: 'GET', path: '/admin/exports/{file}', group: 'admin', operation: 'exportCsv', auth: 'admin' },
  { method: 'GET', path: '/admin/reports/revenue', group: 'admin', operation: 'revenueReport', auth: 'admin' },
  { method: 'GET', path: '/admin/tenants/{id}', group: 'admin', operation: 'getTenant', auth: 'admin' },
  { method: 'POST', path: '/admin/tenants/{id}/credit', group: 'admin', operation: 'creditTenant', auth: 'admin', idempotency: 'required' },
  { method: 'POST', path: '/admin/tenants/{id}/refund', group: 'admin', operation: 'refundTenant', auth: 'admin', idempotency: 'required' },
  { method: 'POST', path: '/admin/tenants/{id}/trial', group: 'admin', operation: 'extendTrial', auth: 'admin', idempotency: 'required' },
  { method: 'POST', path: '/admin/tenants/{id}/retry-payment', group: 'admin', operation: 'retryPayment', auth: 'admin', idempotency: 'required' },
  { method: 'GET', path: '/events', group: 'events', operation: 'listEvents', auth: 'tenant' },
  { method: 'POST', path: '/webhooks/stripe', group: 'stripe-webhook', operation: 'receiveStripeEvent', auth: 'stripe' },
  { method: 'POST', path: '/webhooks/configure', group: 'webhooks', operation: 'configureWebhook', auth: 'tenant' },
  { method: 'GET', path: '/webhooks', group: 'webhooks', operation: 'listWebhooks', auth: 'tenant' },
  { method: 'GET', path: '/webhooks/deliveries', group: 'webhooks', operation: 'listWebhookDeliveries', auth: 'tenant' },
  { method: 'POST', path: '/webhooks/{id}/rotate-secret', group: 'webhooks', operation: 'rotateWebhookSecret', auth: 'tenant' },
  { method: 'DELETE', path: '/webhooks/{id}', group: 'webhooks', operation: 'deleteWebhook', auth: 'tenant' },
  { method: 'POST', path: '/api-clients', group: 'api-clients', operation: 'createApiClient', auth: 'tenant', idempotency: 'optional' },
  { method: 'GET', path: '/api-clients', group: 'api-clients', operation: 'listApiClients', auth: 'tenant' },
  { method: 'DELETE', path: '/api-clients/{id}', group: 'api-clients', operation: 'revokeApiClient', auth: 'tenant' },
  { method: 'POST', path: '/admin/tenants/{id}/api-clients', group: 'api-clients', operation: 'adminCreateApiClient', auth: 'admin', idempotency: 'optional' },
  { method: 'GET', path: '/admin/tenants/{id}/api-clients', group: 'api-clients', operation: 'adminListApiClients', auth: 'admin' },
  { method: 'DELETE', path: '/admin/tenants/{id}/api-clients/{client}', group: 'api-clients', operation: 'adminRevokeApiClient', auth: 'admin' },
] as const satisfies readonly Route<FunctionGroupName>[];

/**
 * Whether a route takes machine tokens as well as people's: a tenant route that declares scopes.
 * Deployed, those routes sit behind the token (Lambda) authorizer, since API Gateway's JWT
 * authorizer cannot list one audience per API client; every other route with a token keeps the
 * JWT authorizer, which refuses machine tokens itself (401). The stack, the local runner and
 * the handlers read this one rule.
 * @example takesMachineTokens({ auth: 'tenant', scopes: ['billing/usage.write'] }) // true
 */
export const takesMachineTokens = (route: Pick<Route, 'auth' | 'scopes'>): boolean =>
  route.auth === 'tenant' && (route.scopes ?? []).length > 0;

/** A route table: what the stack deploys and the local runner serves. */
export interface RouteTable {
  readonly routes: readonly Route[];
  readonly functionGroups: Readonly<Record<string, FunctionGroup>>;
}

export const routeTable: RouteTable = { routes, functionGroups };

/** API Gateway's route key, e.g. `GET /api/billing/plans`. */
export const routeKey = (route: Pick<Route, 'method' | 'path'>): string =>
  `${route.method} ${API_PREFIX}${route.path}`;

export const findRouteByKey = (table: RouteTable, key: string): Route | undefined =>
  table.routes.find((r) => routeKey(r) === key);

/** Operations a group must implement, from the table. */
export const operationsOf = (table: RouteTable, group: string): string[] =>
  table.routes.filter((r) => r.group === group).map((r) => r.operation);
