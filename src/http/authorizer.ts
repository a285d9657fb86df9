import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayRequestAuthorizerEventV2, APIGatewaySimpleAuthorizerWithContextResult } from 'aws-lambda';
import { isMachineToken } from './principal';

/**
 * The Lambda authorizer of the routes that take machine tokens (SPEC section 7). API Gateway's
 * JWT authorizer takes a token without `aud` only if its `client_id` is one of at most 50
 * configured audiences, and every API client is an app client created at run time; so on
 * those routes this authorizer verifies the token against the user pool instead, and the
 * handler's client lookup (`client-lookup.ts`) still decides whether a machine's client is live.
 */

/** A JWT's payload as its issuer signed it. */
export type TokenClaims = Readonly<Record<string, unknown>>;

/**
 * Checks a bearer token's signature (against the issuer's published keys), issuer and expiry, and
 * returns its claims; null when the token is not valid. It throws only when it cannot tell (the
 * keys cannot be fetched): an outage, not a refusal.
 */
export type TokenVerifier = (token: string) => Promise<TokenClaims | null>;

export interface TokenRules {
  /** The app client people sign in with (the web page): a person's token must be issued to it. */
  readonly webClientId: string;
  /** The claims copied into the context: what the handlers read (`claimsRead` in principal.ts). */
  readonly claims: readonly string[];
}

/**
 * What the authorizer hands the handler, as `requestContext.authorizer.lambda`. Every value is a
 * string: API Gateway passes strings through unchanged, and a list is written as the JWT
 * authorizer writes list claims (`[a b]`), so `principalFromClaims` reads both the same way.
 * Empty when no token was verified.
 */
export type AuthorizerContext = Readonly<Record<string, string>>;

export type AuthorizerDecision =
  | { readonly verified: true; readonly machine: boolean; readonly context: AuthorizerContext }
  | { readonly verified: false; readonly reason: string };

/** The token of an `Authorization: Bearer <token>` header; null for anything else. */
export const bearerToken = (authorization: string | undefined): string | null => {
  const match = /^Bearer +([A-Za-z0-9_.~+/=-]+)\s*$/i.exec(authorization ?? '');
  return match?.[1] ?? null;
};

const audiences = (aud: unknown): unknown[] => (Array.isArray(aud) ? aud : [aud]);

/**
 * Issued to this app client, as API Gateway's JWT authorizer judges it: by `aud` when the token
 * has one (ID tokens), else by `client_id` (access tokens).
 */
const issuedTo = (claims: TokenClaims, clientId: string): boolean =>
  claims.aud !== undefined ? audiences(claims.aud).includes(clientId) : claims.client_id === clientId;

/** A claim as the handler receives it: a string, lists written `[a b]` (API Gateway's text for list claims). */
const claimText = (value: unknown): string | undefined => {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return `[${value.join(' ')}]`;
  return undefined;
};

const contextOf = (claims: TokenClaims, names: readonly string[]): AuthorizerContext =>
  Object.fromEntries(
    names.flatMap((name) => {
      const text = claimText(claims[name]);
      return text === undefined ? [] : [[name, text]];
    }),
  );

/**
 * The authorizer's decision on an Authorization header, with the verifier given (the user pool's
 * in AWS, the local keys' in the local runner). A token is accepted when the verifier accepts it,
 * it is an ID or access token with an expiry, and it is either
 * - a person's, issued to the web app client (what the JWT authorizer checks on other routes), or
 * - a machine's: an access token with a `client_id` and no user (client credentials), from any app
 *   client of the pool; whether that client is a live API client of a tenant is the handler's
 *   lookup to say, on every request, so revoking one takes effect within its cache (5 s).
 * @example
 * const decision = await decideToken(cognitoTokenVerifier(poolId), { webClientId, claims: claimsRead(authConfig()) }, event.headers.authorization);
 */
export const decideToken = async (verify: TokenVerifier, rules: TokenRules, authorization: string | undefined): Promise<AuthorizerDecision> => {
  const token = bearerToken(authorization);
  if (token === null) return { verified: false, reason: 'not a bearer token' };
  const claims = await verify(token);
  if (claims === null) return { verified: false, reason: 'signature, issuer or expiry not valid' };
  if (claims.token_use !== 'id' && claims.token_use !== 'access') return { verified: false, reason: 'neither an ID nor an access token' };
  if (typeof claims.exp !== 'number' || typeof claims.sub !== 'string') return { verified: false, reason: 'no expiry or no subject' };
  const machine = isMachineToken(claims);
  if (!machine && !issuedTo(claims, rules.webClientId)) return { verified: false, reason: "a person's token issued to another app client" };
  return { verified: true, machine, context: contextOf(claims, rules.claims) };
};

/**
 * API Gateway's answer for a decision. A token that does not verify is let through with an empty
 * context rather than refused here: a simple response can only refuse with 403, while a bad or
 * expired token must be a 401 (the web page signs in again on a 401; the JWT authorizer's routes
 * answer 401 too). The handler answers it, since without claims it has no principal.
 */
export const authorizerResponse = (decision: AuthorizerDecision): APIGatewaySimpleAuthorizerWithContextResult<AuthorizerContext> => ({
  isAuthorized: true,
  context: decision.verified ? decision.context : {},
});

export interface LambdaAuthorizerOptions {
  /** Built once per container (its JWKS cache lives as long). */
  readonly verifier: () => TokenVerifier;
  readonly rules: () => TokenRules;
  readonly logger: Pick<Logger, 'info'>;
}

/**
 * The Lambda authorizer's handler (payload format 2.0, simple responses).
 * @example export const handler = lambdaAuthorizer({ verifier, rules, logger });
 */
export const lambdaAuthorizer =
  ({ verifier, rules, logger }: LambdaAuthorizerOptions) =>
  async (event: APIGatewayRequestAuthorizerEventV2): Promise<APIGatewaySimpleAuthorizerWithContextResult<AuthorizerContext>> => {
    const decision = await decideToken(verifier(), rules(), event.headers?.authorization);
    if (!decision.verified) logger.info('token not verified; the handler answers 401', { reason: decision.reason, route: event.routeKey });
    return authorizerResponse(decision);
  };
