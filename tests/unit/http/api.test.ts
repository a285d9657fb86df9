import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createApiHandler, operation } from '../../../src/http/api';
import type { ApiEvent } from '../../../src/http/types';
import { routeTable } from '../../../contracts/routes';
import { echoRouteTable } from '../../support/fixtures/echo-routes';
import { inMemoryApiDependencies } from '../../support/fakes/http';

const context = { awsRequestId: 'req-1', functionName: 'test', getRemainingTimeInMillis: () => 1000 } as unknown as Context;

const event = (routeKey: string, body?: string, headers: Record<string, string> = {}): ApiEvent =>
  ({
    version: '2.0',
    routeKey,
    rawPath: '/',
    rawQueryString: '',
    headers,
    requestContext: { requestId: 'req-1', routeKey, http: { method: 'GET', path: '/' } },
    isBase64Encoded: false,
    ...(body === undefined ? {} : { body }),
  }) as unknown as ApiEvent;

describe('createApiHandler', () => {
  it('throws at load time when the group does not implement an operation the route table names', () => {
    expect(() => createApiHandler('plans', {}, inMemoryApiDependencies(), routeTable)).toThrow(/listPlans/);
  });

  it('answers 400 when a route that takes no body gets one', async () => {
    const handler = createApiHandler('echo', Object.fromEntries(echoRouteTable.routes.map((r) => [r.operation, operation({}, async () => ({ status: 200 }))])), inMemoryApiDependencies(), echoRouteTable);
    const res = await handler(event('GET /api/billing/echo/boom', '{"a":1}', { 'content-type': 'application/json' }), context);
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body ?? '').error.details[0].field).toBe('body');
  });

  it('decodes a base64 body', async () => {
    const handler = createApiHandler(
      'echo',
      {
        ...Object.fromEntries(echoRouteTable.routes.map((r) => [r.operation, operation({}, async () => ({ status: 200 }))])),
        boom: operation({ body: (await import('zod')).z.object({ a: (await import('zod')).z.number() }) }, async ({ body }) => ({ status: 200, body })),
      },
      inMemoryApiDependencies(),
      echoRouteTable,
    );
    const res = await handler(
      { ...event('GET /api/billing/echo/boom', Buffer.from('{"a":1}').toString('base64'), { 'content-type': 'application/json' }), isBase64Encoded: true },
      context,
    );
    expect(JSON.parse(res.body ?? '')).toEqual({ a: 1 });
  });
});
