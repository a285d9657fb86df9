import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { AuthConfig } from '../platform/config';
import type { RateLimit } from '../adapters/dynamodb/rate-limits';
import { Forbidden, InvalidInput, PayloadTooLarge, Unauthenticated, UnsupportedMediaType } from '../app/errors';
import { findRouteByKey, type Route, type RouteTable } from '../../contracts/routes';
import { errorResponse } from './error-response';
import type { ClientLookup } from './client-lookup';
import { claimsOf, principalFromClaims, type Principal } from './principal';
import { machineMayCall } from './scopes';
import type { ApiEvent, ApiMiddleware, RateLimitPort } from './types';

const SECURITY_HEADERS: Record<string, string> = {
  'strict-transport-security': 'max-age=63072000; includeSubDomains; preload',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
};

/**
 * Adds security headers to every response, errors included.
 * @example
 * middy(handler).use(securityHeaders());
 */
export const securityHeaders = (): ApiMiddleware => {
  const add = (request: { response: APIGatewayProxyStructuredResultV2 | null }) => {
    if (request.response) {
      request.response = { ...request.response, headers: { ...SECURITY_HEADERS, ...request.response.headers } };
    }
  };
  return { after: add, onError: add };
};

export interface ErrorResponderOptions {
  /** Where a 500's error (with its stack) and a refusal's status go. */
  readonly logger: Pick<Logger, 'error' | 'info'>;
}

/**
 * Turns any thrown error into SPEC's error shape. Typed failures keep their message; anything
 * else is logged with its stack and answered with a bare 500.
 * @example
 * middy(handler).use(errorResponder({ logger }));
 */
export const errorResponder = ({ logger }: ErrorResponderOptions): ApiMiddleware => ({
  onError: (request) => {
    const { error } = request;
    const response = errorResponse(error);
    if (response.statusCode === 500) {
      logger.error('unhandled error', { error });
    } else {
      logger.info('request refused', { status: response.statusCode, code: (error as { code?: string }).code });
    }
    request.response = response;
  },
});

export interface AuthorizeRouteOptions {
  /** The route table whose `auth` is enforced. */
  readonly routes: RouteTable;
  /** Which claims carry the tenant and the groups, and which group is admin. */
  readonly auth: AuthConfig;
  /** Gets the caller's tenant and user ids as keys for the rest of the invocation. */
  readonly logger: Pick<Logger, 'appendKeys'>;
  /** What a machine token's client id maps to (its tenant, or revoked); asked only for machine tokens. */
  readonly clients: ClientLookup;
}

/**
 * A machine principal with its tenant from its client's mapping, or the refusal: machine tokens
 * never reach admin routes, need one of the route's declared scopes (also granted to the client
 * as stored), and stop working once the mapping says revoked.
 */
const machineOnRoute = async (principal: Principal, route: Route, clients: ClientLookup): Promise<Principal> => {
  const machine = principal.machine;
  if (!machine) return principal;
  if (route.auth !== 'tenant') throw new Forbidden('API client tokens cannot call this route');
  const mapping = await clients(machine.clientId);
  if (!mapping || mapping.status !== 'active') throw new Unauthenticated('This API client is unknown or revoked');
  const granted = machine.scopes.filter((scope) => mapping.scopes.includes(scope as (typeof mapping.scopes)[number]));
  if (!machineMayCall(route, granted)) {
    const needed = route.scopes ?? [];
    throw new Forbidden(
      needed.length === 0 ? 'API client tokens cannot call this route' : `This route needs one of the scopes ${needed.join(', ')}`,
    );
  }
  return { ...principal, tenantId: mapping.tenant_id };
};

/**
 * Finds the route from the table by API Gateway's route key and enforces its `auth`. Tenant id
 * and admin role come from the verified JWT claims only; a machine token's tenant from its
 * client's stored mapping, and only on routes whose declared scopes it has.
 * @example
 * middy(handler).use(authorizeRoute({ routes: routeTable, auth: authConfig(), logger, clients: lookup }));
 */
export const authorizeRoute = ({ routes, auth, logger, clients }: AuthorizeRouteOptions): ApiMiddleware => ({
  before: async (request) => {
    const route = findRouteByKey(routes, request.event.routeKey);
    if (!route) throw new Error(`route ${request.event.routeKey} is not in the route table`);
    request.context.route = route;
    const claimed = principalFromClaims(claimsOf(request.event.requestContext), auth);
    request.context.principal = claimed;
    if (route.auth === 'public' || route.auth === 'stripe') return;
    if (!claimed) throw new Unauthenticated('A valid bearer token is required');
    const principal = await machineOnRoute(claimed, route, clients);
    request.context.principal = principal;
    if (route.auth === 'admin' && !principal.admin) throw new Forbidden('This route needs the admin role');
    if (route.auth === 'tenant' && !principal.tenantId) throw new Forbidden('The token carries no tenant');
    logger.appendKeys({
      tenant_id: principal.tenantId ?? undefined,
      user_id: principal.userId,
      ...(principal.machine ? { api_client: principal.machine.clientId } : {}),
    });
  },
});

export interface TenantRateLimitOptions {
  readonly limiter: RateLimitPort;
  /** The requests a tenant may make per window. */
  readonly limit: RateLimit;
}

/**
 * The per-tenant request limit (429 with Retry-After), on tenant routes. Stage throttling in API
 * Gateway limits the API as a whole.
 * @example
 * middy(handler).use(tenantRateLimit({ limiter, limit: { what: 'requests', limit: 1200, windowSeconds: 60, description: '1200 requests per minute' } }));
 */
export const tenantRateLimit = ({ limiter, limit }: TenantRateLimitOptions): ApiMiddleware => ({
  before: async (request) => {
    const tenantId = request.context.principal?.tenantId;
    if (request.context.route?.auth !== 'tenant' || !tenantId) return;
    await limiter.consume(tenantId, limit);
  },
});

/** The largest JSON body accepted (usage batches of 1,000 records fit well inside). */
export const MAX_JSON_BODY_BYTES = 1024 * 1024;

const decodedBody = (event: ApiEvent): string | undefined => {
  if (event.body === undefined || event.body === null || event.body === '') return undefined;
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
};

/**
 * Parses a JSON body when there is one: 415 for another content type, 413 when too large,
 * 400 when malformed. The Stripe route reads the raw body itself and is skipped.
 * @example
 * middy(handler).use(authorizeRoute(options)).use(jsonBody()); // reads context.route
 */
export const jsonBody = (): ApiMiddleware => ({
  before: (request) => {
    if (request.context.route?.auth === 'stripe') return;
    const raw = decodedBody(request.event);
    if (raw === undefined) return;
    if (Buffer.byteLength(raw, 'utf8') > MAX_JSON_BODY_BYTES) {
      throw new PayloadTooLarge(`The body is larger than ${MAX_JSON_BODY_BYTES} bytes`);
    }
    const contentType = request.event.headers['content-type'] ?? '';
    if (!/^application\/(.+\+)?json\s*(;|$)/i.test(contentType)) {
      throw new UnsupportedMediaType('Send the body as application/json');
    }
    try {
      request.context.jsonBody = JSON.parse(raw) as unknown;
    } catch {
      throw new InvalidInput('The body is not valid JSON', [{ field: 'body', message: 'malformed JSON' }]);
    }
  },
});
