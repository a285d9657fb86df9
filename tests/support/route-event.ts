import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { findRouteByKey, routeKey, routeTable } from '../../contracts/routes';

/**
 * The API Gateway v2 event for a route of the table (`GET /api/billing/usage/current`), with what
 * its authorizer handed on: `{ jwt: { claims } }` (the JWT authorizer) or `{ lambda: context }`
 * (the token authorizer). No body, no query: for tests of the auth middleware.
 */
export const routeEvent = (key: string, authorizer: { jwt: { claims: Record<string, string> } } | { lambda: Record<string, string> }): APIGatewayProxyEventV2 => {
  const route = findRouteByKey(routeTable, key);
  if (!route) throw new Error(`no route ${key}`);
  return {
    version: '2.0',
    routeKey: routeKey(route),
    rawPath: '/',
    rawQueryString: '',
    headers: {},
    isBase64Encoded: false,
    requestContext: {
      accountId: '1', apiId: 'a', domainName: 'd', domainPrefix: 'd', requestId: 'r', routeKey: routeKey(route), stage: '$default', time: '', timeEpoch: 0,
      http: { method: route.method, path: '/', protocol: 'HTTP/1.1', sourceIp: '1.1.1.1', userAgent: 'test' },
      authorizer: 'jwt' in authorizer ? { principalId: '', integrationLatency: 0, jwt: { claims: authorizer.jwt.claims, scopes: [] } } : authorizer,
    } as APIGatewayProxyEventV2['requestContext'],
  };
};
