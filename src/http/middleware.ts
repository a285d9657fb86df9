import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { authConfig, rateLimitConfig } from '../platform/config';
import { table } from '../adapters/dynamodb/client';
import { RateLimiter, type RateLimit } from '../adapters/dynamodb/rate-limits';
import { Forbidden, InvalidInput, PayloadTooLarge, Unauthenticated, UnsupportedMediaType } from '../app/errors';
import { logger } from '../platform/logger';
import { findRouteByKey, type Route, type RouteTable } from '../../contracts/routes';
import { errorResponse } from './error-response';
import { principalFromClaims, type Principal } from './principal';
import type { ApiEvent } from './types';

/** What the middlewares learn about a request, for the operation to use. */
export interface ApiContext extends Context {
  route?: Route;
  principal?: Principal | null;
  /** The parsed JSON body, `undefined` when the request has none. */
  jsonBody?: unknown;
}

type ApiMiddleware = MiddlewareObj<ApiEvent, APIGatewayProxyStructuredResultV2, Error, ApiContext>;

const SECURITY_HEADERS: Record<string, string> = {
  'strict-transport-security': 'max-age=63072000; includeSubDomains; preload',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
};

/** Adds security headers to every response, errors included. */
export const securityHeaders = (): ApiMiddleware => {
  const add = (request: { response: APIGatewayProxyStructuredResultV2 | null }) => {
    if (request.response) {
      request.response = { ...request.response, headers: { ...SECURITY_HEADERS, ...request.response.headers } };
    }
  };
  return { after: add, onError: add };
};

/**
 * Turns any thrown error into SPEC's error shape. Typed failures keep their message; anything
 * else is logged with its stack and answered with a bare 500.
 */
export const errorResponder = (): ApiMiddleware => ({
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

/**
 * Finds the route from the table by API Gateway's route key and enforces its `auth`. Tenant id
 * and admin role come from the verified JWT claims only.
 */
export const authorizeRoute = (table: RouteTable): ApiMiddleware => ({
  before: (request) => {
    const route = findRouteByKey(table, request.event.routeKey);
    if (!route) throw new Error(`route ${request.event.routeKey} is not in the route table`);
    request.context.route = route;
    const claims = 'authorizer' in request.event.requestContext ? request.event.requestContext.authorizer?.jwt?.claims : undefined;
    const principal = principalFromClaims(claims, authConfig());
    request.context.principal = principal;
    if (route.auth === 'public' || route.auth === 'stripe') return;
    if (!principal) throw new Unauthenticated('A valid bearer token is required');
    if (route.auth === 'admin' && !principal.admin) throw new Forbidden('This route needs the admin role');
    if (route.auth === 'tenant' && !principal.tenantId) throw new Forbidden('The token carries no tenant');
    logger.appendKeys({ tenant_id: principal.tenantId ?? undefined, user_id: principal.userId });
  },
});

let limiter: RateLimiter | undefined;

const requestLimit = (): RateLimit => {
  const perMinute = rateLimitConfig().RATE_LIMIT_REQUESTS_PER_MINUTE;
  return { what: 'requests', limit: perMinute, windowSeconds: 60, description: `${perMinute} requests per minute` };
};

/** The per-second rate, counted over one-minute windows so leases amortize over steady traffic. */
const recordLimit = (): RateLimit => {
  const perSecond = rateLimitConfig().RATE_LIMIT_RECORDS_PER_SECOND;
  return {
    what: 'records',
    limit: perSecond * 60,
    windowSeconds: 60,
    description: `${perSecond} usage records per second, counted per minute (${perSecond * 60} a minute)`,
  };
};

/**
 * The per-tenant request limit (429 with Retry-After), on tenant routes of functions that
 * have the table. Stage throttling in API Gateway limits the API as a whole.
 */
export const tenantRateLimit = (): ApiMiddleware => ({
  before: async (request) => {
    const tenantId = request.context.principal?.tenantId;
    if (request.context.route?.auth !== 'tenant' || !tenantId || !process.env.TABLE_NAME) return;
    limiter ??= new RateLimiter(table());
    await limiter.consume(tenantId, requestLimit());
  },
});

/** The usage-records limit of `POST /usage/track`, counted in records, not requests. */
export const consumeRecords = async (tenantId: string, records: number): Promise<void> => {
  limiter ??= new RateLimiter(table());
  await limiter.consume(tenantId, recordLimit(), records);
};

/** The largest JSON body accepted (usage batches of 1,000 records fit well inside). */
export const MAX_JSON_BODY_BYTES = 1024 * 1024;

const decodedBody = (event: ApiEvent): string | undefined => {
  if (event.body === undefined || event.body === null || event.body === '') return undefined;
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
};

/**
 * Parses a JSON body when there is one: 415 for another content type, 413 when too large,
 * 400 when malformed. The Stripe route reads the raw body itself and is skipped.
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
