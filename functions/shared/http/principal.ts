import type { AuthConfig } from '../config';

/** Who is calling, as the verified JWT says. The tenant id never comes from anywhere else. */
export interface Principal {
  readonly userId: string;
  readonly tenantId: string | null;
  readonly admin: boolean;
}

type ClaimValue = string | number | boolean | string[];

/**
 * API Gateway hands list claims to Lambda as one string, `[a b]`; the local runner does the
 * same. Accept that and real arrays.
 */
export const claimList = (value: ClaimValue | undefined): string[] => {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value.map(String);
  const text = String(value).trim();
  const inner = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  return inner.split(/[\s,]+/).filter((s) => s.length > 0);
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
