import type { Route } from '../../contracts/routes';

/**
 * Whether a machine token with `granted` scopes may call `route`: only `tenant` routes that
 * declare scopes, and only with at least one of them (API Gateway's rule for route scopes).
 * @example machineMayCall({ auth: 'tenant', scopes: ['billing/usage.write'] }, ['billing/usage.write']) // true
 */
export const machineMayCall = (route: Pick<Route, 'auth' | 'scopes'>, granted: readonly string[]): boolean =>
  route.auth === 'tenant' && (route.scopes ?? []).some((scope) => granted.includes(scope));
