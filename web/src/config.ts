/**
 * Where the page finds the API and how it signs in. Deployed, the CDK stack writes
 * `/config.json` beside the page (API URL, hosted UI, app client); the local runner serves
 * `{"apiUrl": "/api/billing", "local": true}`, which makes the page sign in from `#token=`.
 */

export interface OidcConfig {
  /** Cognito hosted UI base URL, e.g. `https://billing.auth.eu-west-1.amazoncognito.com`. */
  readonly userPoolDomain: string;
  readonly clientId: string;
  readonly redirectUri: string;
}

export interface ClaimNames {
  readonly tenantClaim: string;
  readonly groupsClaim: string;
  readonly adminGroup: string;
}

export interface PageConfig {
  readonly apiUrl: string;
  /** The local stack: sign-in from the URL fragment (`#token=`), test card payments. */
  readonly local: boolean;
  /** Deployed with a hosted UI: OIDC sign-in. */
  readonly oidc: OidcConfig | null;
  readonly claims: ClaimNames;
}

/** The claims of Cognito ID tokens from the stack's user pool (and of local tokens). */
const cognitoClaims: ClaimNames = { tenantClaim: 'custom:tenant_id', groupsClaim: 'cognito:groups', adminGroup: 'billing-admin' };

const LOCAL_DEFAULT: PageConfig = { apiUrl: '/api/billing', local: true, oidc: null, claims: cognitoClaims };

const text = (value: unknown): string | null => (typeof value === 'string' && value.trim().length > 0 ? value.trim() : null);

export const parseConfig = (raw: unknown): PageConfig => {
  if (typeof raw !== 'object' || raw === null) throw new Error('config.json is not an object');
  const r = raw as Record<string, unknown>;
  const apiUrl = text(r.apiUrl);
  if (!apiUrl) throw new Error('config.json has no apiUrl');
  const userPoolDomain = text(r.userPoolDomain);
  const clientId = text(r.clientId);
  const redirectUri = text(r.redirectUri);
  return {
    apiUrl,
    local: r.local === true,
    oidc: userPoolDomain && clientId && redirectUri ? { userPoolDomain: userPoolDomain.replace(/\/+$/, ''), clientId, redirectUri } : null,
    claims: {
      tenantClaim: text(r.tenantClaim) ?? cognitoClaims.tenantClaim,
      groupsClaim: text(r.groupsClaim) ?? cognitoClaims.groupsClaim,
      adminGroup: text(r.adminGroup) ?? cognitoClaims.adminGroup,
    },
  };
};

/** Reads `/config.json`; without one (a page served some other way) it assumes the local stack's API on the same origin. */
export const loadConfig = async (): Promise<PageConfig> => {
  const response = await fetch('/config.json', { cache: 'no-store', headers: { accept: 'application/json' } });
  if (response.status === 404) return LOCAL_DEFAULT;
  if (!response.ok) throw new Error(`config.json answered ${response.status}`);
  return parseConfig(await response.json());
};
