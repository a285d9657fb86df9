import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createApiHandler, operation } from '../../../src/http/api';
import type { ClientMapping } from '../../../src/app/ports/api-clients';
import { cachedClientLookup } from '../../../src/http/client-lookup';
import { routeTable } from '../../../contracts/routes';
import { routeEvent } from '../../support/route-event';
import { inMemoryApiDependencies } from '../../support/fakes/http';

const ACTIVE: ClientMapping = { client_id: 'svc-1', tenant_id: 'org-1', id: 'ac_1', scopes: ['billing/usage.write'], status: 'active' };
const REVOKED: ClientMapping = { ...ACTIVE, client_id: 'svc-2', status: 'revoked' };

const machineClaims = (clientId: string, scope: string) => ({ sub: clientId, client_id: clientId, token_use: 'access', scope, iss: 'x', exp: '9999999999' });

const event = (key: string, claims: Record<string, string>) => routeEvent(key, { jwt: { claims } });

const context = { awsRequestId: 'r', functionName: 'f', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;

/** The usage group's handler with an operation that answers the principal it got. */
const usageHandler = () => {
  const seen = operation({}, async (request) => ({ status: 200, body: request.principal }));
  return createApiHandler('usage', { trackUsage: seen, currentUsage: seen, usageHistory: seen }, inMemoryApiDependencies(undefined, [ACTIVE, REVOKED]));
};

describe('authorizeRoute with machine tokens', () => {
  it('takes the tenant from the client mapping, never from a claim', async () => {
    const res = await usageHandler()(event('GET /api/billing/usage/history', {}), context);
    expect(res.statusCode).toBe(401);
    const ok = await usageHandler()(
      event('GET /api/billing/usage/current', { ...machineClaims('svc-1', 'billing/usage.read'), 'custom:tenant_id': 'org-evil' }),
      context,
    );
    // The token has usage.read but the client was granted usage.write only: refused.
    expect(ok.statusCode).toBe(403);
  });

  it('lets a client with the route scope in, as its tenant', async () => {
    const seen = operation({}, async (request) => ({ status: 200, body: request.principal }));
    const handler = createApiHandler('usage', { trackUsage: seen, currentUsage: seen, usageHistory: seen }, inMemoryApiDependencies(undefined, [{ ...ACTIVE, scopes: ['billing/usage.read'] }]));
    const res = await handler(event('GET /api/billing/usage/current', { ...machineClaims('svc-1', 'billing/usage.read'), 'custom:tenant_id': 'org-evil' }), context);
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body ?? '')).toMatchObject({ tenantId: 'org-1', admin: false, machine: { clientId: 'svc-1' } });
  });

  it('answers 401 for a revoked or unknown client and 403 without the scope', async () => {
    expect((await usageHandler()(event('GET /api/billing/usage/current', machineClaims('svc-2', 'billing/usage.read')), context)).statusCode).toBe(401);
    expect((await usageHandler()(event('GET /api/billing/usage/current', machineClaims('svc-404', 'billing/usage.read')), context)).statusCode).toBe(401);
  });

  it('ignores an admin group a machine token might carry', async () => {
    const seen = operation({}, async () => ({ status: 200 }));
    const handler = createApiHandler('admin', Object.fromEntries(routeTable.routes.filter((r) => r.group === 'admin').map((r) => [r.operation, seen])), inMemoryApiDependencies(undefined, [ACTIVE]));
    const res = await handler(event('GET /api/billing/admin/overview', { ...machineClaims('svc-1', 'billing/usage.write'), 'cognito:groups': '[billing-admin]' }), context);
    expect(res.statusCode).toBe(403);
  });
});

describe('cachedClientLookup', () => {
  it('remembers an active mapping for the TTL only, and never a revoked or unknown one', async () => {
    let now = 0;
    const answers = new Map<string, ClientMapping | null>([['svc-1', ACTIVE], ['svc-2', REVOKED]]);
    let reads = 0;
    const lookup = cachedClientLookup(async (id) => { reads += 1; return answers.get(id) ?? null; }, { ttlMs: 5_000, now: () => now });
    await lookup('svc-1');
    await lookup('svc-1');
    expect(reads).toBe(1);
    answers.set('svc-1', { ...ACTIVE, status: 'revoked' });
    now = 5_001;
    expect((await lookup('svc-1'))?.status).toBe('revoked');
    await lookup('svc-1');
    await lookup('svc-404');
    await lookup('svc-404');
    expect(reads).toBe(5);
  });
});
