import type { APIGatewayRequestAuthorizerEventV2, Context } from 'aws-lambda';
import { FetchError } from 'aws-jwt-verify/error';
import type { Jwks, JwksCache } from 'aws-jwt-verify/jwk';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { ClientMapping } from '../../../src/app/ports/api-clients';
import { createApiHandler, operation } from '../../../src/http/api';
import { routeEvent } from '../../support/route-event';
import {
  authorizerResponse,
  bearerToken,
  decideToken,
  lambdaAuthorizer,
  type AuthorizerContext,
  type TokenRules,
  type TokenVerifier,
} from '../../../src/http/authorizer';
import { cognitoTokenVerifier } from '../../../src/http/cognito-verifier';
import { claimsOf, claimsRead, principalFromClaims } from '../../../src/http/principal';
import { inMemoryApiDependencies } from '../../support/fakes/http';

/**
 * The token authorizer of the routes that take machine tokens, with real tokens: signed here with
 * a generated RSA key that the Cognito verifier (aws-jwt-verify) gets as the pool's JWKS, shaped
 * as Cognito issues them (a person's ID and access tokens, a client-credentials access token).
 */

const AUTH = { TENANT_CLAIM: 'custom:tenant_id', GROUPS_CLAIM: 'cognito:groups', ADMIN_GROUP: 'billing-admin' };
const POOL = 'eu-west-1_TestPool1';
const ISSUER = `https://cognito-idp.eu-west-1.amazonaws.com/${POOL}`;
const WEB_CLIENT = 'webclient0123456789abcdefgh';
const API_CLIENT = 'apiclient0123456789abcdefgh';
const KID = 'test-key-1';
const RULES: TokenRules = { webClientId: WEB_CLIENT, claims: claimsRead(AUTH) };

let signingKey: CryptoKey;
let strangerKey: CryptoKey;
let verify: TokenVerifier;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  signingKey = pair.privateKey;
  strangerKey = (await generateKeyPair('RS256')).privateKey;
  const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: KID, alg: 'RS256', use: 'sig' };
  verify = cognitoTokenVerifier(POOL, { jwks: { keys: [jwk] } as Jwks });
});

const now = () => Math.floor(Date.now() / 1000);

interface Signing {
  readonly key?: CryptoKey;
  readonly issuer?: string;
  /** Seconds from now; negative for an expired token, null for none. */
  readonly expiresIn?: number | null;
}

const sign = async (claims: Record<string, unknown>, { key = signingKey, issuer = ISSUER, expiresIn = 3600 }: Signing = {}): Promise<string> => {
  const jwt = new SignJWT({ ...claims, iss: issuer, iat: now() }).setProtectedHeader({ alg: 'RS256', kid: KID });
  if (expiresIn !== null) jwt.setExpirationTime(now() + expiresIn);
  return jwt.sign(key);
};

/** A person's ID token as the web client gets it from Cognito. */
const personIdToken = (more: Record<string, unknown> = {}, signing?: Signing) =>
  sign(
    {
      sub: 'user-1',
      aud: WEB_CLIENT,
      token_use: 'id',
      'cognito:username': 'user-1',
      'cognito:groups': ['billing-admin'],
      'custom:tenant_id': 'org-1',
      email: 'ada@example.com',
      ...more,
    },
    signing,
  );

/** A person's access token (it names the user; no `aud`). */
const personAccessToken = (more: Record<string, unknown> = {}) =>
  sign({ sub: 'user-1', client_id: WEB_CLIENT, username: 'user-1', token_use: 'access', scope: 'openid email', ...more });

/** A client-credentials access token of an API client: `sub` and `client_id` the client, no user, no `aud`. */
const machineToken = (more: Record<string, unknown> = {}, signing?: Signing) =>
  sign({ sub: API_CLIENT, client_id: API_CLIENT, token_use: 'access', scope: 'billing/usage.write billing/usage.read', ...more }, signing);

const bearer = (token: string) => `Bearer ${token}`;

describe('decideToken', () => {
  describe('accepts', () => {
    it("a person's ID token issued to the web client, with the claims the handlers read", async () => {
      const decision = await decideToken(verify, RULES, bearer(await personIdToken()));

      expect(decision).toEqual({
        verified: true,
        machine: false,
        context: {
          sub: 'user-1',
          exp: expect.stringMatching(/^\d+$/),
          token_use: 'id',
          'custom:tenant_id': 'org-1',
          'cognito:groups': '[billing-admin]',
        },
      });
    });

    it("a person's access token issued to the web client", async () => {
      const decision = await decideToken(verify, RULES, bearer(await personAccessToken()));

      expect(decision).toMatchObject({ verified: true, machine: false, context: { client_id: WEB_CLIENT, username: 'user-1' } });
    });

    it("a machine token from any app client of the pool, with its client and scopes in the context", async () => {
      const decision = await decideToken(verify, RULES, bearer(await machineToken()));

      expect(decision).toEqual({
        verified: true,
        machine: true,
        context: {
          sub: API_CLIENT,
          client_id: API_CLIENT,
          token_use: 'access',
          scope: 'billing/usage.write billing/usage.read',
          exp: expect.stringMatching(/^\d+$/),
        },
      });
    });

    it('the scheme in any case, as RFC 6750 allows', async () => {
      expect(await decideToken(verify, RULES, `bearer ${await machineToken()}`)).toMatchObject({ verified: true });
    });
  });

  describe('refuses', () => {
    const refusals: Record<string, () => Promise<string | undefined>> = {
      'no header': async () => undefined,
      'an empty header': async () => '',
      'the scheme alone': async () => 'Bearer',
      'basic credentials': async () => `Basic ${Buffer.from(`${API_CLIENT}:secret`).toString('base64')}`,
      'a token without the scheme': async () => machineToken(),
      'garbage': async () => 'Bearer not-a-jwt',
      'two tokens': async () => `Bearer ${await machineToken()} ${await machineToken()}`,
      'a tampered payload': async () => {
        const [header, , signature] = (await machineToken()).split('.');
        const forged = Buffer.from(JSON.stringify({ sub: API_CLIENT, client_id: API_CLIENT, token_use: 'access', scope: 'billing/usage.write', iss: ISSUER, exp: now() + 3600 })).toString('base64url');
        return bearer(`${header}.${forged}.${signature}`);
      },
      'a token signed with another key': async () => bearer(await machineToken({}, { key: strangerKey })),
      'a token from another issuer': async () => bearer(await machineToken({}, { issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_OtherPool' })),
      'an expired token': async () => bearer(await machineToken({}, { expiresIn: -60 })),
      'a token without an expiry': async () => bearer(await machineToken({}, { expiresIn: null })),
      'a refresh-like token (token_use neither id nor access)': async () => bearer(await machineToken({ token_use: 'refresh' })),
      "a person's ID token issued to another app client": async () => bearer(await personIdToken({ aud: API_CLIENT })),
      "a person's access token issued to another app client": async () => bearer(await personAccessToken({ client_id: API_CLIENT })),
      'an ID token dressed as a machine token (client_id, no user): machines need access tokens': async () =>
        bearer(await sign({ sub: API_CLIENT, aud: API_CLIENT, client_id: API_CLIENT, token_use: 'id' })),
    };

    it.each(Object.keys(refusals))('%s', async (name) => {
      const authorization = await refusals[name]?.();

      const decision = await decideToken(verify, RULES, authorization);

      expect(decision).toEqual({ verified: false, reason: expect.any(String) });
    });
  });

  it("fails, rather than refuses, when the pool's keys cannot be fetched: an outage is a 500 and an alarm, not a 401", async () => {
    const unreachable: JwksCache = {
      getJwk: async (uri) => {
        throw new FetchError(uri, 'connect ETIMEDOUT');
      },
      getCachedJwk: () => {
        throw new Error('not cached');
      },
      addJwks: () => undefined,
      getJwks: async (uri) => {
        throw new FetchError(uri, 'connect ETIMEDOUT');
      },
    };
    const down = cognitoTokenVerifier(POOL, { jwksCache: unreachable });

    await expect(decideToken(down, RULES, bearer(await machineToken()))).rejects.toBeInstanceOf(FetchError);
  });
});

describe('bearerToken', () => {
  it.each([
    ['Bearer abc.def.ghi', 'abc.def.ghi'],
    ['BEARER abc.def.ghi', 'abc.def.ghi'],
    ['Bearer  abc.def.ghi ', 'abc.def.ghi'],
    ['Bearer', null],
    ['Bearer a b', null],
    ['Basic abc', null],
    [undefined, null],
  ])('reads %j as %j', (header, token) => {
    expect(bearerToken(header)).toBe(token);
  });
});

describe('authorizerResponse', () => {
  it('authorizes with the verified claims as context', () => {
    expect(authorizerResponse({ verified: true, machine: true, context: { sub: 'c' } })).toEqual({ isAuthorized: true, context: { sub: 'c' } });
  });

  it('lets an unverified token through with an empty context, for the handler to answer 401 (a simple response can only say 403)', () => {
    expect(authorizerResponse({ verified: false, reason: 'expired' })).toEqual({ isAuthorized: true, context: {} });
  });
});

const authorizerEvent = (authorization: string | undefined): APIGatewayRequestAuthorizerEventV2 =>
  ({
    version: '2.0',
    type: 'REQUEST',
    routeArn: 'arn:aws:execute-api:eu-west-1:123456789012:api/$default/POST/api/billing/usage/track',
    identitySource: authorization === undefined ? [] : [authorization],
    routeKey: 'POST /api/billing/usage/track',
    rawPath: '/api/billing/usage/track',
    rawQueryString: '',
    headers: authorization === undefined ? {} : { authorization },
  }) as unknown as APIGatewayRequestAuthorizerEventV2;

describe('lambdaAuthorizer', () => {
  it('answers API Gateway with the context of a verified token', async () => {
    const handler = lambdaAuthorizer({ verifier: () => verify, rules: () => RULES, logger: { info: vi.fn() } });

    const response = await handler(authorizerEvent(bearer(await machineToken())));

    expect(response).toEqual({ isAuthorized: true, context: expect.objectContaining({ client_id: API_CLIENT, token_use: 'access' }) });
  });

  it('logs why a token was not verified, without the token', async () => {
    const logger = { info: vi.fn() };
    const handler = lambdaAuthorizer({ verifier: () => verify, rules: () => RULES, logger });
    const token = await machineToken({}, { expiresIn: -60 });

    const response = await handler(authorizerEvent(bearer(token)));

    expect(response).toEqual({ isAuthorized: true, context: {} });
    expect(logger.info).toHaveBeenCalledWith(expect.stringContaining('not verified'), expect.objectContaining({ reason: expect.any(String) }));
    expect(JSON.stringify(logger.info.mock.calls)).not.toContain(token);
  });

});

describe('claimsOf', () => {
  const lambdaContext = (context: AuthorizerContext) => ({ authorizer: { lambda: context } });

  it('reads the JWT authorizer claims', () => {
    expect(claimsOf({ authorizer: { jwt: { claims: { sub: 'u1' }, scopes: [] } } })).toEqual({ sub: 'u1' });
  });

  it("reads the token authorizer's context while its exp is ahead", () => {
    const context = { sub: 'u1', exp: String(now() + 60) };

    expect(claimsOf(lambdaContext(context))).toEqual(context);
  });

  it("takes no claims from a cached answer that outlived its token's exp, or has none", () => {
    expect(claimsOf(lambdaContext({ sub: 'u1', exp: String(now() - 1) }))).toBeUndefined();
    expect(claimsOf(lambdaContext({ sub: 'u1' }))).toBeUndefined();
  });

  it('has no claims for an unverified token (empty context), a public route or odd shapes', () => {
    expect(claimsOf(lambdaContext({}))).toBeUndefined();
    expect(claimsOf({})).toBeUndefined();
    expect(claimsOf(undefined)).toBeUndefined();
    expect(claimsOf({ authorizer: { lambda: 'x' } })).toBeUndefined();
  });

  it('reads context values that arrive as numbers or lists as the claims they stand for', () => {
    const claims = claimsOf({ authorizer: { lambda: { sub: 'u1', exp: now() + 60, 'cognito:groups': ['billing-admin'], nested: { no: 1 } } } });

    expect(claims).toEqual({ sub: 'u1', exp: expect.any(Number), 'cognito:groups': ['billing-admin'] });
    expect(principalFromClaims(claims, AUTH)).toEqual({ userId: 'u1', tenantId: null, admin: true });
  });
});

describe('the token authorizer in front of a handler', () => {
  const ACTIVE: ClientMapping = { client_id: API_CLIENT, tenant_id: 'org-7', id: 'ac_1', scopes: ['billing/usage.read'], status: 'active' };
  const lambdaContext = { awsRequestId: 'r', functionName: 'usage', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;

  const usageHandler = () => {
    const seen = operation({}, async (request) => ({ status: 200, body: request.principal }));
    return createApiHandler('usage', { trackUsage: seen, currentUsage: seen, usageHistory: seen }, inMemoryApiDependencies(undefined, [ACTIVE]));
  };

  const through = async (authorization: string, key = 'GET /api/billing/usage/current') => {
    const { context } = await lambdaAuthorizer({ verifier: () => verify, rules: () => RULES, logger: { info: vi.fn() } })(authorizerEvent(authorization));
    const res = await usageHandler()(routeEvent(key, { lambda: context }), lambdaContext);
    return { status: res.statusCode, body: JSON.parse(res.body ?? 'null') as unknown };
  };

  it("gives a machine token its client's tenant, whatever tenant claim it carries", async () => {
    const res = await through(bearer(await machineToken({ scope: 'billing/usage.read', 'custom:tenant_id': 'org-evil' })));

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ tenantId: 'org-7', machine: { clientId: API_CLIENT, scopes: ['billing/usage.read'] } });
  });

  it("gives a person's token its tenant claim, as behind the JWT authorizer", async () => {
    const res = await through(bearer(await personIdToken()));

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ userId: 'user-1', tenantId: 'org-1', admin: true });
  });

  it('answers 401 (not 403) for a token that did not verify, so clients sign in again', async () => {
    const res = await through(bearer(await personIdToken({}, { expiresIn: -60 })));

    expect(res.status).toBe(401);
  });

  it("answers 403 for a machine token without the route's scope", async () => {
    const res = await through(bearer(await machineToken({ scope: 'billing/usage.read' })), 'POST /api/billing/usage/track');

    expect(res.status).toBe(403);
  });
});

describe('functions/authorizer/handler', () => {
  const invoke = async (env: Record<string, string>, authorization: string) => {
    const { handler } = await import('../../../functions/authorizer/handler');
    const { withEnvironment } = await import('../../../src/platform/environment');
    const context = { awsRequestId: 'r', functionName: 'authorizer', getRemainingTimeInMillis: () => 5_000 } as unknown as Context;
    return withEnvironment(env, () => handler(authorizerEvent(authorization), context));
  };

  it('reads the pool and the web client from its environment and answers API Gateway', async () => {
    const env = { USER_POOL_ID: POOL, WEB_CLIENT_ID: WEB_CLIENT };
    // Neither needs the pool's keys: not a bearer token; a token from another pool.
    expect(await invoke(env, 'Basic YTpi')).toEqual({ isAuthorized: true, context: {} });
    expect(await invoke(env, bearer(await machineToken({}, { issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_OtherPool' })))).toEqual({
      isAuthorized: true,
      context: {},
    });
  });

  it('fails with a clear error when the stack did not say which pool', async () => {
    await expect(invoke({ WEB_CLIENT_ID: WEB_CLIENT }, bearer(await machineToken()))).rejects.toThrow(/USER_POOL_ID/);
  });
});
