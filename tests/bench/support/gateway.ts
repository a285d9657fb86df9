/**
 * Calling an API function's handler export directly, as API Gateway would after its JWT
 * authorizer: no HTTP server, no token check. The benchmarks use it to time a handler alone.
 */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { API_PREFIX, functionGroups, routeKey, routes, type Route } from '../../../contracts/routes';
import { LOCAL_AUDIENCE, LOCAL_ISSUER } from '../../../local/jwt';
import { REPO_ROOT } from '../../../local/paths';

export type ApiHandler = (event: APIGatewayProxyEventV2WithJWTAuthorizer, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

/** The route of the table for a method and path; throws when there is none. */
export const routeFor = (method: Route['method'], path: string): Route => {
  const route = routes.find((r) => r.method === method && r.path === path);
  if (!route) throw new Error(`${method} ${path} is not in contracts/routes.ts`);
  return route;
};

/** The module the local HTTP API loaded for the group (same URL, so the same instance and clients). */
export const loadGroupHandler = async (group: string): Promise<ApiHandler> => {
  const fn = (functionGroups as Readonly<Record<string, { entry: string }>>)[group];
  if (!fn) throw new Error(`no function group ${group}`);
  const module = (await import(pathToFileURL(resolve(REPO_ROOT, fn.entry)).href)) as { handler: ApiHandler };
  return module.handler;
};

/** Claims as API Gateway passes them for a local token of `tenantId` (lists would be `[a b]`; none here). */
export const tenantClaims = (tenantId: string): Record<string, string> => ({
  sub: `user-${tenantId}`,
  'custom:tenant_id': tenantId,
  token_use: 'id',
  iss: LOCAL_ISSUER,
  aud: LOCAL_AUDIENCE,
});

/** An API Gateway HTTP API v2 event as the JWT authorizer hands it over: claims as strings. */
export const gatewayEvent = (
  route: Route,
  body: unknown,
  claims: Record<string, string> | null,
  extraHeaders: Readonly<Record<string, string>> = {},
): APIGatewayProxyEventV2WithJWTAuthorizer => {
  const path = `${API_PREFIX}${route.path}`;
  const now = new Date();
  const raw = body === undefined ? undefined : JSON.stringify(body);
  const event: APIGatewayProxyEventV2WithJWTAuthorizer = {
    version: '2.0',
    routeKey: routeKey(route),
    rawPath: path,
    rawQueryString: '',
    headers: {
      host: 'localhost',
      'user-agent': 'bench',
      ...(raw === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(raw)) }),
      ...extraHeaders,
    },
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: { method: route.method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'bench' },
      requestId: randomUUID(),
      routeKey: routeKey(route),
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
      authorizer: { principalId: '', integrationLatency: 0, jwt: { claims: claims ?? {}, scopes: [] } },
    },
    isBase64Encoded: false,
    ...(raw === undefined ? {} : { body: raw }),
  };
  if (!claims) delete (event.requestContext as Partial<typeof event.requestContext>).authorizer;
  return event;
};
