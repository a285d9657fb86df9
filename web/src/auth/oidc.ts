/**
 * Deployed sign-in: OpenID Connect authorization code flow with PKCE (RFC 7636) against the
 * Cognito hosted UI. The app client has no secret; the code verifier, kept in sessionStorage
 * for the round trip, is what proves the code exchange comes from the tab that started it.
 * The ID token is the bearer: it carries the tenant and group claims the API reads.
 */
import type { OidcConfig } from '../config';

const PENDING_KEY = 'securenet-billing.oidc';

const base64Url = (bytes: Uint8Array): string =>
  btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

const randomString = (bytes = 32): string => base64Url(crypto.getRandomValues(new Uint8Array(bytes)));

const challengeOf = async (verifier: string): Promise<string> =>
  base64Url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));

/** Sends the browser to the hosted UI; it comes back to `redirectUri` with `?code&state`. */
export const startSignIn = async (config: OidcConfig): Promise<void> => {
  const verifier = randomString(48);
  const state = randomString(16);
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier, state }));
  const url = new URL(`${config.userPoolDomain}/oauth2/authorize`);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: config.redirectUri,
    scope: 'openid email profile',
    state,
    code_challenge: await challengeOf(verifier),
    code_challenge_method: 'S256',
  }).toString();
  window.location.assign(url.toString());
};

/**
 * On the way back: exchanges `code` for tokens and returns the ID token, or null when this
 * page load is not a sign-in callback. Throws when the callback does not match the sign-in
 * this tab started (state mismatch) or the exchange fails.
 */
export const completeSignIn = async (config: OidcConfig): Promise<string | null> => {
  const params = new URLSearchParams(window.location.search);
  const code = params.get('code');
  const error = params.get('error');
  if (code === null && error === null) return null;
  window.history.replaceState(window.history.state, '', '/');
  const pending = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  if (error !== null) throw new Error(params.get('error_description') ?? `Sign-in failed: ${error}`);
  const { verifier, state } = (pending ? JSON.parse(pending) : {}) as { verifier?: string; state?: string };
  if (!verifier || !state || state !== params.get('state')) throw new Error('This sign-in was not started here; please sign in again.');

  const response = await fetch(`${config.userPoolDomain}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: config.clientId,
      code: code ?? '',
      redirect_uri: config.redirectUri,
      code_verifier: verifier,
    }),
  });
  if (!response.ok) throw new Error(`Sign-in failed: the token endpoint answered ${response.status}`);
  const tokens = (await response.json()) as { id_token?: unknown };
  if (typeof tokens.id_token !== 'string') throw new Error('Sign-in failed: no ID token in the answer');
  return tokens.id_token;
};
