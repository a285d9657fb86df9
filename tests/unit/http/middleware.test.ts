import middy from '@middy/core';
import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { NotFound } from '../../../src/app/errors';
import type { RateLimit } from '../../../src/adapters/dynamodb/rate-limits';
import {
  authorizeRoute,
  errorResponder,
  jsonBody,
  MAX_JSON_BODY_BYTES,
  securityHeaders,
  tenantRateLimit,
} from '../../../src/http/middleware';
import type { ApiContext, ApiEvent, ApiMiddleware, RateLimitPort } from '../../../src/http/types';
import type { AuthConfig } from '../../../src/platform/config';
import type { RouteTable } from '../../../contracts/routes';
import { MemoryRateLimiter } from '../../support/fakes/http';

const AUTH: AuthConfig = { TENANT_CLAIM: 'custom:tenant_id', GROUPS_CLAIM: 'cognito:groups', ADMIN_GROUP: 'billing-admin' };

const ROUTES: RouteTable = {
  functionGroups: { test: { entry: 'tests/unit/http/middleware.test.ts', description: 'test', table: 'none' } },
  routes: [
    { method: 'GET', path: '/things', group: 'test', operation: 'things', auth: 'tenant' },
    { method: 'POST', path: '/things', group: 'test', operation: 'addThing', auth: 'tenant' },
    { method: 'GET', path: '/admin/things', group: 'test', operation: 'adminThings', auth: 'admin' },
    { method: 'GET', path: '/open', group: 'test', operation: 'open', auth: 'public' },
    { method: 'POST', path: '/hooks/stripe', group: 'test', operation: 'stripe', auth: 'stripe' },
  ],
};

const REQUESTS: RateLimit = { what: 'requests', limit: 2, windowSeconds: 60, description: '2 requests per minute' };

/** A fresh Lambda context per invocation, as Lambda gives: the middlewares write to it. */
const context = (): Context =>
  ({
    awsRequestId: 'req-1',
    functionName: 'test',
    getRemainingTimeInMillis: () => 30_000,
  }) as unknown as Context;

type Claims = Record<string, string | string[]>;

const tenant = (tenantId: string, more: Claims = {}): Claims => ({ sub: `user-of-${tenantId}`, 'custom:tenant_id': tenantId, ...more });

/** An HTTP API event as API Gateway hands it over; `claims` only when the JWT authorizer passed it. */
const request = (
  routeKey: string,
  options: { claims?: Claims; body?: string; headers?: Record<string, string>; base64?: boolean } = {},
): ApiEvent =>
  ({
    version: '2.0',
    routeKey,
    rawPath: routeKey.split(' ')[1] ?? '/',
    rawQueryString: '',
    headers: options.headers ?? {},
    requestContext: {
      requestId: 'req-1',
      routeKey,
      http: { method: routeKey.split(' ')[0] ?? 'GET', path: routeKey.split(' ')[1] ?? '/' },
      ...(options.claims ? { authorizer: { jwt: { claims: options.claims, scopes: [] } } } : {}),
    },
    isBase64Encoded: options.base64 ?? false,
    ...(options.body === undefined ? {} : { body: options.body }),
  }) as unknown as ApiEvent;

const fakeLogger = () => ({ error: vi.fn(), info: vi.fn(), appendKeys: vi.fn() });

interface Seen {
  readonly principal: ApiContext['principal'];
  readonly route: string | undefined;
  readonly body: unknown;
}

/**
 * The API's middleware order (as `createApiHandler` stacks them) around an operation that
 * answers what the middlewares told it, or throws `fail` when given.
 */
const apiStack = (
  options: { limiter?: RateLimitPort; logger?: ReturnType<typeof fakeLogger>; fail?: unknown } = {},
) => {
  const logger = options.logger ?? fakeLogger();
  const middlewares: ApiMiddleware[] = [
    securityHeaders(),
    errorResponder({ logger }),
    authorizeRoute({ routes: ROUTES, auth: AUTH, logger, clients: async () => null }),
    ...(options.limiter ? [tenantRateLimit({ limiter: options.limiter, limit: REQUESTS })] : []),
    jsonBody(),
  ];
  let handler = middy<ApiEvent, APIGatewayProxyStructuredResultV2, Error, ApiContext>();
  for (const middleware of middlewares) handler = handler.use(middleware);
  return handler.handler(async (_event, ctx) => {
    if (options.fail !== undefined) throw options.fail;
    const seen: Seen = { principal: ctx.principal, route: ctx.route?.operation, body: ctx.jsonBody };
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(seen) };
  });
};

const call = async (handler: ReturnType<typeof apiStack>, event: ApiEvent) => {
  const response = await handler(event, context());
  const parsed: unknown = JSON.parse(response.body ?? 'null');
  return { status: response.statusCode, headers: response.headers ?? {}, json: parsed };
};

const errorOf = (json: unknown) => (json as { error: { code: string; message: string } }).error;

describe('securityHeaders', () => {
  it('adds the security headers to a successful response', async () => {
    const res = await call(apiStack(), request('GET /api/billing/open'));

    expect(res.status).toBe(200);
    expect(res.headers).toMatchObject({ 'strict-transport-security': expect.stringContaining('max-age='), 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' });
  });

  it('adds them to an error response too', async () => {
    const res = await call(apiStack(), request('GET /api/billing/things'));

    expect(res.status).toBe(401);
    expect(res.headers).toMatchObject({ 'x-frame-options': 'DENY', 'content-security-policy': expect.stringContaining("default-src 'none'") });
  });
});

describe('errorResponder', () => {
  it('answers a typed failure with its status, code and message, logged as a refusal', async () => {
    const logger = fakeLogger();
    const handler = apiStack({ logger, fail: new NotFound('No such invoice') });

    const res = await call(handler, request('GET /api/billing/open'));

    expect(res.status).toBe(404);
    expect(errorOf(res.json)).toEqual({ code: 'not_found', message: 'No such invoice' });
    expect(logger.info).toHaveBeenCalledWith('request refused', { status: 404, code: 'not_found' });
    expect(logger.error).not.toHaveBeenCalled();
  });

  it('answers a bare 500 for an unexpected error and logs the error, not the client', async () => {
    const logger = fakeLogger();
    const failure = new Error('connection string postgres://secret@db');
    const handler = apiStack({ logger, fail: failure });

    const res = await call(handler, request('GET /api/billing/open'));

    expect(res.status).toBe(500);
    expect(errorOf(res.json)).toEqual({ code: 'internal_error', message: 'Internal server error' });
    expect(JSON.stringify(res.json)).not.toContain('secret');
    expect(logger.error).toHaveBeenCalledWith('unhandled error', { error: failure });
  });
});

describe('authorizeRoute', () => {
  it('answers 401 on a tenant route reached without a principal', async () => {
    const res = await call(apiStack(), request('GET /api/billing/things'));

    expect(res.status).toBe(401);
    expect(errorOf(res.json).code).toBe('unauthenticated');
  });

  it('answers 401 when the claims name no subject (an invalid principal)', async () => {
    const res = await call(apiStack(), request('GET /api/billing/things', { claims: { 'custom:tenant_id': 'org-1', sub: '' } }));

    expect(res.status).toBe(401);
  });

  it('answers 403 on a tenant route when the token carries no tenant', async () => {
    const res = await call(apiStack(), request('GET /api/billing/things', { claims: { sub: 'user-1' } }));

    expect(res.status).toBe(403);
    expect(errorOf(res.json)).toEqual({ code: 'forbidden', message: 'The token carries no tenant' });
  });

  it('answers 403 on an admin route when the caller is not in the admin group', async () => {
    const res = await call(apiStack(), request('GET /api/billing/admin/things', { claims: tenant('org-1', { 'cognito:groups': ['readonly'] }) }));

    expect(res.status).toBe(403);
    expect(errorOf(res.json)).toEqual({ code: 'forbidden', message: 'This route needs the admin role' });
  });

  it('lets an admin through an admin route, groups written as API Gateway does', async () => {
    const res = await call(apiStack(), request('GET /api/billing/admin/things', { claims: { sub: 'admin-1', 'cognito:groups': '[readonly billing-admin]' } }));

    expect(res.status).toBe(200);
    expect((res.json as Seen).principal).toEqual({ userId: 'admin-1', tenantId: null, admin: true });
  });

  it('gives the operation the route and the principal from the claims, and the logger their ids', async () => {
    const logger = fakeLogger();

    const res = await call(apiStack({ logger }), request('GET /api/billing/things', { claims: tenant('org-1') }));

    expect(res.status).toBe(200);
    expect(res.json).toEqual({ principal: { userId: 'user-of-org-1', tenantId: 'org-1', admin: false }, route: 'things' });
    expect(logger.appendKeys).toHaveBeenCalledWith({ tenant_id: 'org-1', user_id: 'user-of-org-1' });
  });

  it('reads the tenant and groups from the claims the configuration names', async () => {
    const handler = middy<ApiEvent, APIGatewayProxyStructuredResultV2, Error, ApiContext>()
      .use(errorResponder({ logger: fakeLogger() }))
      .use(authorizeRoute({ routes: ROUTES, auth: { TENANT_CLAIM: 'org', GROUPS_CLAIM: 'roles', ADMIN_GROUP: 'root' }, logger: fakeLogger(), clients: async () => null }))
      .handler(async (_event, ctx) => ({ statusCode: 200, body: JSON.stringify(ctx.principal) }));

    const res = await handler(request('GET /api/billing/admin/things', { claims: { sub: 'u', org: 'org-9', roles: ['root'] } }), context());

    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body ?? '')).toEqual({ userId: 'u', tenantId: 'org-9', admin: true });
  });

  it('lets anyone through a public route, without a principal', async () => {
    const res = await call(apiStack(), request('GET /api/billing/open'));

    expect(res.status).toBe(200);
    expect((res.json as Seen).principal).toBeNull();
  });

  it('answers 500 for a route key missing from the table (a wiring bug, not a client error)', async () => {
    const logger = fakeLogger();

    const res = await call(apiStack({ logger }), request('GET /api/billing/nowhere', { claims: tenant('org-1') }));

    expect(res.status).toBe(500);
    expect(logger.error).toHaveBeenCalledOnce();
  });
});

describe('tenantRateLimit', () => {
  it('answers 429 with Retry-After once the tenant has used its window, while another tenant goes on', async () => {
    const handler = apiStack({ limiter: new MemoryRateLimiter(17) });
    const noisy = request('GET /api/billing/things', { claims: tenant('org-noisy') });

    const first = await call(handler, noisy);
    const second = await call(handler, noisy);
    const third = await call(handler, noisy);
    const other = await call(handler, request('GET /api/billing/things', { claims: tenant('org-quiet') }));

    expect([first.status, second.status, third.status]).toEqual([200, 200, 429]);
    expect(third.headers['retry-after']).toBe('17');
    expect(errorOf(third.json)).toEqual({ code: 'rate_limited', message: 'Rate limit reached: this tenant may send 2 requests per minute' });
    expect(other.status).toBe(200);
  });

  it('counts one request of the configured limit per tenant request', async () => {
    const limiter = new MemoryRateLimiter();

    await call(apiStack({ limiter }), request('GET /api/billing/things', { claims: tenant('org-1') }));

    expect(limiter.calls).toEqual([{ tenantId: 'org-1', limit: REQUESTS, cost: 1 }]);
  });

  it('counts nothing on public, admin and Stripe routes', async () => {
    const limiter = new MemoryRateLimiter();
    const handler = apiStack({ limiter });

    await call(handler, request('GET /api/billing/open', { claims: tenant('org-1') }));
    await call(handler, request('GET /api/billing/admin/things', { claims: tenant('org-1', { 'cognito:groups': ['billing-admin'] }) }));
    await call(handler, request('POST /api/billing/hooks/stripe', { body: '{}', headers: { 'content-type': 'application/json' } }));

    expect(limiter.calls).toEqual([]);
  });

  it('counts nothing for a request refused by authorization', async () => {
    const limiter = new MemoryRateLimiter();

    const res = await call(apiStack({ limiter }), request('GET /api/billing/things', { claims: { sub: 'user-1' } }));

    expect(res.status).toBe(403);
    expect(limiter.calls).toEqual([]);
  });
});

describe('jsonBody', () => {
  const post = (body: string, contentType = 'application/json', base64 = false) =>
    request('POST /api/billing/things', { claims: tenant('org-1'), body, headers: { 'content-type': contentType }, base64 });

  it('parses a JSON body for the operation', async () => {
    const res = await call(apiStack(), post('{"name":"thing"}', 'application/json; charset=utf-8'));

    expect((res.json as Seen).body).toEqual({ name: 'thing' });
  });

  it('decodes a base64 body', async () => {
    const res = await call(apiStack(), post(Buffer.from('{"n":1}').toString('base64'), 'application/json', true));

    expect((res.json as Seen).body).toEqual({ n: 1 });
  });

  it('answers 415 for a body of another content type', async () => {
    const res = await call(apiStack(), post('name=thing', 'application/x-www-form-urlencoded'));

    expect(res.status).toBe(415);
  });

  it('answers 413 for a body larger than the limit', async () => {
    const res = await call(apiStack(), post(`"${'x'.repeat(MAX_JSON_BODY_BYTES)}"`));

    expect(res.status).toBe(413);
  });

  it('answers 400 naming the body for malformed JSON', async () => {
    const res = await call(apiStack(), post('{"name":'));

    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ error: { code: 'invalid_request', details: [{ field: 'body', message: 'malformed JSON' }] } });
  });

  it('leaves the Stripe route’s raw body alone', async () => {
    const res = await call(apiStack(), request('POST /api/billing/hooks/stripe', { body: 'not json', headers: { 'content-type': 'text/plain' } }));

    expect(res.status).toBe(200);
    expect((res.json as Seen).body).toBeUndefined();
  });
});
