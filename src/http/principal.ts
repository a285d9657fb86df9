import type { AuthConfig } from '../platform/config';

/** Who is calling, as the verified JWT says. The tenant id never comes from anywhere else. */
export interface Principal {
  readonly userId: string;
  readonly tenantId: string | null;
  readonly admin: boolean;
}

type ClaimValue = string | number | boolean | string[];

/**
 * The names in a list claim, exactly as issued: nothing is trimmed, lower-cased or split on
 * commas, so `billing-admin,readonly` and `Not billing-admin` are names of their own.
 * - a JSON array (direct invocation, tests): its elements;
 * - API Gateway's text for an array claim, Go-formatted `[a b]` (the local runner writes the
 *   same): split on single spaces. That is exact for Cognito groups, whose names cannot contain
 *   whitespace; an external issuer's group names must not contain spaces either;
 * - any other string: one name.
 * @example claimList('[billing-admin readonly]') // ['billing-admin', 'readonly']
 */
export const claimList = (value: ClaimValue | undefined): string[] => {
  if (value === undefined) return [];
  if (Array.isArray(value)) return [...value];
  if (typeof value !== 'string') return [String(value)];
  if (value.startsWith('[') && value.endsWith(']')) {
    const inner = value.slice(1, -1);
    return inner === '' ? [] : inner.split(' ');
  }
  return [value];
};

export const principalFromClaims = (
  claims: Record<string, ClaimValue> | undefined,
  cfg: AuthConfig,
): Principal | null => {
  if (!claims) return null;
  const sub = claims.sub;
  if (sub === undefined || String(sub).length === 0) return null;
  const tenant = claims[cfg.TENANT_CLAIM];
  const tenantId = tenant === undefined || String(tenant).length === 0 ? null : String(tenant);
  return {
    userId: String(sub),
    tenantId,
    admin: claimList(claims[cfg.GROUPS_CLAIM]).includes(cfg.ADMIN_GROUP),
  };
};
