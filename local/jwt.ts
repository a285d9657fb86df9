import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { MACHINE_TOKEN_MINUTES } from '../contracts/scopes';
import { SignJWT, errors as joseErrors, exportJWK, generateKeyPair, importJWK, jwtVerify, type JWK, type JWTPayload, type CryptoKey } from 'jose';

/** The local identity provider's settings, mirroring a Cognito user pool's ID tokens. */
export const LOCAL_ISSUER = 'https://securenet-local.invalid/issuer';
export const LOCAL_AUDIENCE = 'securenet-billing-local';
const ALG = 'ES256';

export interface LocalKeys {
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
}

/** Loads the dev key pair from `file`, creating it the first time (kept under `.data/`). */
export const loadOrCreateKeys = async (file: string): Promise<LocalKeys> => {
  if (!existsSync(file)) {
    const pair = await generateKeyPair(ALG, { extractable: true });
    mkdirSync(dirname(file), { recursive: true });
    const stored = { privateKey: await exportJWK(pair.privateKey), publicKey: await exportJWK(pair.publicKey) };
    writeFileSync(file, JSON.stringify(stored, null, 2), { mode: 0o600 });
  }
  const stored = JSON.parse(readFileSync(file, 'utf8')) as { privateKey: JWK; publicKey: JWK };
  return {
    privateKey: (await importJWK(stored.privateKey, ALG)) as CryptoKey,
    publicKey: (await importJWK(stored.publicKey, ALG)) as CryptoKey,
  };
};

export interface TokenRequest {
  readonly tenantId?: string;
  readonly userId?: string;
  readonly admin?: boolean;
  /** The `cognito:groups` claim as given (tests: odd group names, the string form); overrides `admin`. */
  readonly groups?: readonly string[] | string;
  /** A jose time span (`12h`, `-1m`); null leaves `exp` out (a token the authorizer refuses). */
  readonly expiresIn?: string | null;
  readonly audience?: string;
  readonly issuer?: string;
}

/** Signs an ID token with the claims our authorizer and middleware read. */
export const issueToken = async (keys: LocalKeys, request: TokenRequest): Promise<string> => {
  const claims: JWTPayload & Record<string, unknown> = { token_use: 'id' };
  if (request.tenantId) claims['custom:tenant_id'] = request.tenantId;
  if (request.admin) claims['cognito:groups'] = ['billing-admin'];
  if (request.groups !== undefined) claims['cognito:groups'] = typeof request.groups === 'string' ? request.groups : [...request.groups];
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: ALG })
    .setSubject(request.userId ?? `user-${request.tenantId ?? 'admin'}`)
    .setIssuer(request.issuer ?? LOCAL_ISSUER)
    .setAudience(request.audience ?? LOCAL_AUDIENCE)
    .setIssuedAt();
  if (request.expiresIn !== null) jwt.setExpirationTime(request.expiresIn ?? '12h');
  return jwt.sign(keys.privateKey);
};

export interface MachineTokenRequest {
  readonly clientId: string;
  readonly scopes: readonly string[];
  /** A jose time span; 15 minutes by default, as the Cognito app clients are configured. */
  readonly expiresIn?: string;
}

/**
 * Signs an access token like Cognito's for the client-credentials grant: `sub` and `client_id`
 * the client, `token_use` `access`, `scope` space-separated, no `aud` and no user.
 */
export const issueMachineToken = async (keys: LocalKeys, request: MachineTokenRequest): Promise<string> =>
  new SignJWT({ token_use: 'access', client_id: request.clientId, scope: request.scopes.join(' ') })
    .setProtectedHeader({ alg: ALG })
    .setSubject(request.clientId)
    .setIssuer(LOCAL_ISSUER)
    .setIssuedAt()
    .setExpirationTime(request.expiresIn ?? `${MACHINE_TOKEN_MINUTES}m`)
    .sign(keys.privateKey);

/**
 * Whose tokens a check takes. `web-client` is API Gateway's JWT authorizer: its audience list
 * holds the web app client only, matched against `aud`, or for a token without one its
 * `client_id`; so a machine token (its own app client, no `aud`) is refused there (401).
 * `pool` is the token authorizer's verifier (the user pool's JWKS and issuer): any of the
 * pool's clients; `decideToken` then judges the client, and the handler the API client's mapping.
 */
export type Audience = 'web-client' | 'pool';

const audienceOk = (payload: JWTPayload, audience: Audience): boolean => {
  if (audience === 'pool') return true;
  if (payload.aud !== undefined) return (Array.isArray(payload.aud) ? payload.aud : [payload.aud]).includes(LOCAL_AUDIENCE);
  return payload.client_id === LOCAL_AUDIENCE;
};

/**
 * Verifies a bearer token as the deployed authorizers do: signature, issuer, audience (`aud`,
 * or for an access token without one its `client_id`), `exp` present and in the future, `nbf`
 * and `iat` (when present) not in the future. Returns the claims, or null for any failure (the
 * caller answers 401). The local runner's JWT authorizer, and the verifier its token authorizer
 * (`decideToken`) runs in place of the user pool's JWKS.
 */
export const verifyBearer = async (keys: LocalKeys, authorization: string | undefined, audience: Audience = 'web-client'): Promise<JWTPayload | null> => {
  if (!authorization) return null;
  const token = authorization.replace(/^Bearer\s+/i, '').trim();
  if (token.length === 0) return null;
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, keys.publicKey, {
      issuer: LOCAL_ISSUER,
      algorithms: [ALG],
      requiredClaims: ['exp'],
    }));
  } catch (error) {
    // Every verification failure is the same 401 to the caller, as in API Gateway.
    if (error instanceof joseErrors.JOSEError) return null;
    throw error;
  }
  if (!audienceOk(payload, audience)) return null;
  if (payload.iat !== undefined && payload.iat > Math.floor(Date.now() / 1000)) return null;
  return payload;
};
