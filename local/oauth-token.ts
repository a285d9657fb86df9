import type { IncomingMessage, ServerResponse } from 'node:http';
import { API_SCOPES } from '../contracts/scopes';
import type { ClientMapping } from '../src/app/ports/api-clients';
import { verifySecret } from '../src/app/api-clients/secret-hash';
import { BodyTooLarge, readBody } from './http-api';
import { issueMachineToken, type LocalKeys } from './jwt';
import { MACHINE_TOKEN_MINUTES } from '../contracts/scopes';

/** Where the local stack's token endpoint answers, as Cognito's domain does at `/oauth2/token`. */
export const TOKEN_PATH = '/oauth2/token';

export interface TokenRouteOptions {
  readonly keys: LocalKeys;
  /** The client-id mapping as the table holds it (the same item the handlers read). */
  readonly lookup: (clientId: string) => Promise<ClientMapping | null>;
}

/** OAuth 2.0's error answers (RFC 6749 section 5.2), as Cognito gives them. */
const refuse = (res: ServerResponse, status: number, error: string, description: string): true => {
  res.writeHead(status, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    ...(status === 401 ? { 'www-authenticate': 'Basic realm="oauth2"' } : {}),
  });
  res.end(JSON.stringify({ error, error_description: description }));
  return true;
};

/** The client id and secret from HTTP Basic (preferred, RFC 6749 2.3.1) or the form's fields. */
const credentialsOf = (req: IncomingMessage, form: URLSearchParams): { id: string; secret: string } | null => {
  const basic = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? '');
  if (basic?.[1]) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) return null;
    return { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
  }
  const id = form.get('client_id');
  const secret = form.get('client_secret');
  return id && secret ? { id, secret } : null;
};

/**
 * The local stand-in for Cognito's token endpoint (local only, never deployed): `POST
 * /oauth2/token` with `grant_type=client_credentials`, the client's id and secret (HTTP Basic
 * or form fields) and optionally `scope` (space-separated, within the client's). Answers
 * `{access_token, token_type, expires_in}` signed with the local keys, or OAuth's errors: a
 * wrong secret, an unknown or revoked client is `invalid_client` (401) and gets no token.
 */
export const tokenRoute =
  ({ keys, lookup }: TokenRouteOptions) =>
  async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    if (url.pathname !== TOKEN_PATH) return false;
    if (req.method !== 'POST') return refuse(res, 405, 'invalid_request', 'POST the token request');
    let form: URLSearchParams;
    try {
      form = new URLSearchParams((await readBody(req, 16 * 1024)).toString('utf8'));
    } catch (error) {
      if (error instanceof BodyTooLarge) return refuse(res, 413, 'invalid_request', 'the request is too large');
      throw error;
    }
    if (!/^application\/x-www-form-urlencoded/i.test(req.headers['content-type'] ?? '')) {
      return refuse(res, 400, 'invalid_request', 'send the form as application/x-www-form-urlencoded');
    }
    if (form.get('grant_type') !== 'client_credentials') return refuse(res, 400, 'unsupported_grant_type', 'only client_credentials');
    const credentials = credentialsOf(req, form);
    if (!credentials) return refuse(res, 401, 'invalid_client', 'client authentication failed');
    const mapping = await lookup(credentials.id);
    const secretOk = mapping?.secret_hash !== undefined && (await verifySecret(credentials.secret, mapping.secret_hash));
    if (!mapping || mapping.status !== 'active' || !secretOk) return refuse(res, 401, 'invalid_client', 'client authentication failed');
    const asked = (form.get('scope') ?? '').split(' ').filter((s) => s.length > 0);
    if (asked.some((s) => !(API_SCOPES as readonly string[]).includes(s) || !mapping.scopes.includes(s as (typeof API_SCOPES)[number]))) {
      return refuse(res, 400, 'invalid_scope', 'a requested scope is not granted to this client');
    }
    const scopes = asked.length > 0 ? [...new Set(asked)] : [...mapping.scopes];
    const accessToken = await issueMachineToken(keys, { clientId: credentials.id, scopes });
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache' });
    res.end(JSON.stringify({ access_token: accessToken, token_type: 'Bearer', expires_in: MACHINE_TOKEN_MINUTES * 60 }));
    return true;
  };
