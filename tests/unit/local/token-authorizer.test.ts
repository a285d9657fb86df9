import { fileURLToPath } from 'node:url';
import { generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_PREFIX, type RouteTable } from '../../../contracts/routes';
import { startHttpApi, type RunningHttpApi } from '../../../local/http-api';
import { issueMachineToken, issueToken, verifyBearer, type LocalKeys } from '../../../local/jwt';

/**
 * The local API on the routes that take machine tokens: it runs the deployed token authorizer's
 * decision (with the local keys) and hands the handler `requestContext.authorizer.lambda`, as API
 * Gateway does behind the Lambda authorizer; other routes keep the JWT authorizer's `jwt.claims`.
 */

const table: RouteTable = {
  functionGroups: { echo: { entry: 'tests/unit/local/fixtures/authorizer-echo.ts', description: 'fixture: echo', table: 'none' } },
  routes: [
    { method: 'GET', path: '/scoped', group: 'echo', operation: 'scoped', auth: 'tenant', scopes: ['billing/usage.read'] },
    { method: 'GET', path: '/people', group: 'echo', operation: 'people', auth: 'tenant' },
  ],
};

let keys: LocalKeys;
let api: RunningHttpApi;

beforeAll(async () => {
  keys = await generateKeyPair('ES256');
  api = await startHttpApi({
    port: 0,
    repoRoot: fileURLToPath(new URL('../../..', import.meta.url)),
    table,
    verify: (authorization, audience) => verifyBearer(keys, authorization, audience),
  });
});
afterAll(async () => api.close());

const get = async (path: string, authorization?: string) => {
  const res = await fetch(`${api.url}${API_PREFIX}${path}`, { headers: authorization ? { authorization } : {} });
  return { status: res.status, body: (await res.json()) as { authorizer?: unknown; message?: string } };
};

describe('the local API on routes that take machine tokens', () => {
  it("hands the handler the token authorizer's context for a machine token", async () => {
    const token = await issueMachineToken(keys, { clientId: 'client-1', scopes: ['billing/usage.read'] });

    const res = await get('/scoped', `Bearer ${token}`);

    expect(res).toEqual({
      status: 200,
      body: {
        authorizer: {
          lambda: { sub: 'client-1', client_id: 'client-1', token_use: 'access', scope: 'billing/usage.read', exp: expect.stringMatching(/^\d+$/) },
        },
      },
    });
  });

  it("hands it the claims a person's token carries, lists written as API Gateway writes them", async () => {
    const token = await issueToken(keys, { tenantId: 'org-1', userId: 'u-1', admin: true });

    const res = await get('/scoped', `Bearer ${token}`);

    expect(res.body.authorizer).toEqual({
      lambda: { sub: 'u-1', token_use: 'id', 'custom:tenant_id': 'org-1', 'cognito:groups': '[billing-admin]', exp: expect.stringMatching(/^\d+$/) },
    });
  });

  it('hands it an empty context for a token that does not verify, for the handler to answer 401', async () => {
    const expired = await issueToken(keys, { tenantId: 'org-1', expiresIn: '-1m' });
    const foreign = await issueToken(keys, { tenantId: 'org-1', audience: 'another-app-client' });

    for (const authorization of [`Bearer ${expired}`, `Bearer ${foreign}`, 'Bearer', 'Basic YTpi']) {
      expect((await get('/scoped', authorization)).body, authorization).toEqual({ authorizer: { lambda: {} } });
    }
  });

  it('answers 401 itself, without calling the handler, when there is no Authorization header (the identity source)', async () => {
    expect(await get('/scoped')).toEqual({ status: 401, body: { message: 'Unauthorized' } });
  });

  it("keeps the JWT authorizer's claims on routes without scopes", async () => {
    const token = await issueToken(keys, { tenantId: 'org-1', userId: 'u-1' });

    const res = await get('/people', `Bearer ${token}`);

    expect(res.body.authorizer).toMatchObject({ jwt: { claims: { sub: 'u-1', 'custom:tenant_id': 'org-1' } } });
    expect(res.body.authorizer).not.toHaveProperty('lambda');
  });

  it("refuses a machine token on a route without scopes as API Gateway's JWT authorizer does: 401 before the handler (its client is no audience)", async () => {
    const token = await issueMachineToken(keys, { clientId: 'client-1', scopes: ['billing/usage.read'] });

    expect(await get('/people', `Bearer ${token}`)).toEqual({ status: 401, body: { message: 'Unauthorized' } });
  });
});
