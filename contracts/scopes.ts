/**
 * The OAuth scopes of machine credentials (API clients, SPEC section 7), in one place: the
 * route table declares which of them each route accepts, the CDK stack creates them on the
 * Cognito resource server, the API-client routes validate requests against them, and the
 * local token endpoint issues them. Plain data: imports nothing.
 */

/** The resource server's identifier: every scope is `billing/<name>`. */
export const RESOURCE_SERVER_ID = 'billing';

/** Each scope with what it lets a service do (the resource server's scope descriptions). */
export const SCOPE_DESCRIPTIONS = {
  'billing/usage.write': 'Report usage (POST /usage/track)',
  'billing/usage.read': 'Read current usage and its history',
  'billing/invoices.read': 'Read invoices',
  'billing/subscriptions.read': 'Read the subscription and its entitlements',
} as const;

export type ApiScope = keyof typeof SCOPE_DESCRIPTIONS;

export const API_SCOPES = Object.keys(SCOPE_DESCRIPTIONS) as [ApiScope, ...ApiScope[]];

/** `billing/usage.write` -> `usage.write`, the name Cognito's resource server takes. */
export const scopeName = (scope: ApiScope): string => scope.slice(RESOURCE_SERVER_ID.length + 1);

/** Machine tokens live this long (Cognito app clients' access-token validity, and the local issuer's). */
export const MACHINE_TOKEN_MINUTES = 15;
