import { CognitoJwtVerifier } from 'aws-jwt-verify';
import { FetchError, JwksValidationError, JwtBaseError, NotSupportedError } from 'aws-jwt-verify/error';
import type { Jwks, JwksCache } from 'aws-jwt-verify/jwk';
import type { TokenVerifier } from './authorizer';

/**
 * Errors that say the pool's keys are at fault, not the token: an outage (500), never a 401.
 * (A token from another issuer is a `ParameterValidationError`, "issuer not configured": the
 * token's fault. A bad pool id fails `create`, outside any verification.)
 */
const OUTAGES = [FetchError, JwksValidationError, NotSupportedError];

export interface CognitoVerifierOptions {
  /** Keys to start from instead of fetching the pool's JWKS (tests; a container with no way out). */
  readonly jwks?: Jwks;
  /** Where the keys are fetched and kept; aws-jwt-verify's own cache by default. */
  readonly jwksCache?: JwksCache;
}

/**
 * A `TokenVerifier` for the tokens of one Cognito user pool (aws-jwt-verify): signature against
 * the pool's JWKS, fetched on first use and kept for the life of the verifier (one per container;
 * a token signed with a key it has not seen makes it fetch again, at most every few seconds),
 * the pool's issuer, `exp` and `nbf`, `token_use` `id` or `access`. Which app client the token
 * was issued to is `decideToken`'s rule, not checked here.
 * @example const verify = cognitoTokenVerifier('eu-west-1_AbCdEf123'); await verify(jwt) // claims, or null
 */
export const cognitoTokenVerifier = (userPoolId: string, options: CognitoVerifierOptions = {}): TokenVerifier => {
  const verifier = CognitoJwtVerifier.create({ userPoolId, tokenUse: null, clientId: null }, options.jwksCache ? { jwksCache: options.jwksCache } : undefined);
  if (options.jwks) verifier.cacheJwks(options.jwks);
  return async (token) => {
    try {
      return await verifier.verify(token);
    } catch (error) {
      if (error instanceof JwtBaseError && !OUTAGES.some((outage) => error instanceof outage)) return null;
      throw error;
    }
  };
};
