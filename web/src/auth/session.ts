/**
 * The signed-in session: a bearer token kept in sessionStorage (gone with the tab), and what
 * the page reads from its payload to pick the UI. The payload is decoded, not verified: the
 * API verifies every call, so a forged claim only changes which tabs are drawn.
 */
import type { ClaimNames } from '../config';

const TOKEN_KEY = 'securenet-billing.token';

export interface Session {
  readonly token: string;
  readonly subject: string | null;
  readonly email: string | null;
  readonly tenantId: string | null;
  readonly isAdmin: boolean;
  /** Epoch milliseconds. */
  readonly expiresAt: number | null;
}

const base64UrlDecode = (segment: string): string => {
  const padded = segment.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(segment.length / 4) * 4, '=');
  const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
};

/** Groups arrive as a JSON array from Cognito and our local issuer, as a string from some issuers. */
const groupsOf = (value: unknown): string[] => {
  if (Array.isArray(value)) return value.filter((g): g is string => typeof g === 'string');
  if (typeof value === 'string') return value.replace(/^\[|\]$/g, '').split(/[\s,]+/).filter(Boolean);
  return [];
};

/** Null for anything that is not a three-part JWT with a JSON payload. */
export const sessionFromToken = (token: string, claims: ClaimNames): Session | null => {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return null;
  let payload: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(base64UrlDecode(parts[1]));
    if (typeof parsed !== 'object' || parsed === null) return null;
    payload = parsed as Record<string, unknown>;
  } catch {
    return null;
  }
  const tenant = payload[claims.tenantClaim];
  return {
    token,
    subject: typeof payload.sub === 'string' ? payload.sub : null,
    email: typeof payload.email === 'string' ? payload.email : null,
    tenantId: typeof tenant === 'string' && tenant.length > 0 ? tenant : null,
    isAdmin: groupsOf(payload[claims.groupsClaim]).includes(claims.adminGroup),
    expiresAt: typeof payload.exp === 'number' ? payload.exp * 1000 : null,
  };
};

export const isExpired = (session: Session, now = Date.now()): boolean => session.expiresAt !== null && session.expiresAt <= now;

export const storeToken = (token: string): void => sessionStorage.setItem(TOKEN_KEY, token);
export const storedToken = (): string | null => sessionStorage.getItem(TOKEN_KEY);
export const clearToken = (): void => sessionStorage.removeItem(TOKEN_KEY);

/**
 * Local mode: `http://localhost:3000/#token=<jwt>` signs in. The token moves to
 * sessionStorage and leaves the address bar (and so the history and any copied link).
 */
export const takeTokenFromFragment = (): string | null => {
  const fragment = new URLSearchParams(window.location.hash.replace(/^#/, ''));
  const token = fragment.get('token');
  if (token === null) return null;
  window.history.replaceState(window.history.state, '', `${window.location.pathname}${window.location.search}`);
  return token.trim() || null;
};
