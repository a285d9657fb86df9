import type { AuthConfig } from '../platform/config';

/** A service calling with an API client's token (OAuth client credentials). */
export interface MachineIdentity {
  readonly clientId: string;
  /** The token's `scope` claim. */
  readonly scopes: readonly string[];
}

/**
 * Who is calling, as the verified JWT says. The tenant id never comes from anywhere else: for a
 * person from the tenant claim; for a machine (`machine` set) from its client's stored mapping,
 * filled in by `authorizeRoute` (null until then).
 */
export interface Principal {
  readonly userId: string;
  readonly tenantId: string | null;
  readonly admin: boolean;
  readonly machine?: MachineIdentity;
}

export type ClaimValue = string | number | boolean | string[];

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

/**
 * A client-credentials access token: Cognito's (and the local issuer's) carry `token_use`
 * `access`, a `client_id` and no user name; a person's access token names its user. The Lambda
 * authorizer tells machines from people by this same rule (`src/http/authorizer.ts`).
 * @example isMachineToken({ token_use: 'access', client_id: 'abc', sub: 'abc' }) // true
 */
export const isMachineToken = (claims: Readonly<Record<string, unknown>>): boolean =>
  claims.token_use === 'access' && typeof claims.client_id === 'string' && claims.client_id.length > 0 && claims.username === undefined;

/** The `scope` claim: space-separated (RFC 6749), or a list. */
export const scopeList = (value: ClaimValue | undefined): string[] =>
  Array.isArray(value) ? [...value] : typeof value === 'string' ? value.split(' ').filter((s) => s.length > 0) : [];

export const principalFromClaims = (
  claims: Record<string, ClaimValue> | undefined,
  cfg: AuthConfig,
): Principal | null => {
  if (!claims) return null;
  const sub = claims.sub;
  if (sub === undefined || String(sub).length === 0) return null;
  if (isMachineToken(claims)) {
    // Neither a tenant nor a group a machine token might carry counts: its mapping decides.
    return { userId: String(claims.client_id), tenantId: null, admin: false, machine: { clientId: String(claims.client_id), scopes: scopeList(claims.scope) } };
  }
  const tenant = claims[cfg.TENANT_CLAIM];
  const tenantId = tenant === undefined || String(tenant).length === 0 ? null : String(tenant);
  return {
    userId: String(sub),
    tenantId,
    admin: claimList(claims[cfg.GROUPS_CLAIM]).includes(cfg.ADMIN_GROUP),
  };
};

/**
 * Every claim `principalFromClaims` reads, with `exp`: what the Lambda authorizer copies into its
 * context, so a handler behind it sees the same claims as behind the JWT authorizer.
 * @example claimsRead(authConfig()) // ['sub', 'exp', 'token_use', 'client_id', 'username', 'scope', 'custom:tenant_id', 'cognito:groups']
 */
export const claimsRead = (cfg: AuthConfig): string[] => [
  ...new Set(['sub', 'exp', 'token_use', 'client_id', 'username', 'scope', cfg.TENANT_CLAIM, cfg.GROUPS_CLAIM]),
];

const isClaimValue = (value: unknown): value is ClaimValue =>
  typeof value === 'string' ||
  typeof value === 'number' ||
  typeof value === 'boolean' ||
  (Array.isArray(value) && value.every((v) => typeof v === 'string'));

const claimRecord = (value: unknown): Record<string, ClaimValue> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? Object.fromEntries(Object.entries(value).filter((entry): entry is [string, ClaimValue] => isClaimValue(entry[1])))
    : undefined;

const field = (value: unknown, key: string): unknown =>
  typeof value === 'object' && value !== null && key in value ? (value as Record<string, unknown>)[key] : undefined;

/**
 * The verified claims of a request, wherever its route's authorizer put them:
 * - the JWT authorizer: `requestContext.authorizer.jwt.claims`;
 * - the Lambda authorizer (routes that take machine tokens): `requestContext.authorizer.lambda`,
 *   the context it returned. API Gateway caches that answer per Authorization header, so a
 *   cached one may outlive its token: without an `exp` still in the future it counts as no claims.
 * Undefined on public routes, and when the Lambda authorizer verified nothing (its empty context).
 * @example claimsOf(event.requestContext) // { sub: 'u1', 'custom:tenant_id': 'org-1', ... }
 */
export const claimsOf = (requestContext: unknown, now: () => number = Date.now): Record<string, ClaimValue> | undefined => {
  const authorizer = field(requestContext, 'authorizer');
  const jwt = claimRecord(field(field(authorizer, 'jwt'), 'claims'));
  if (jwt) return jwt;
  const lambda = claimRecord(field(authorizer, 'lambda'));
  if (!lambda) return undefined;
  const exp = Number(lambda.exp);
  return Number.isFinite(exp) && exp * 1000 > now() ? lambda : undefined;
};
