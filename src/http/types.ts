import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { RateLimit } from '../adapters/dynamodb/rate-limits';
import type { Route } from '../../contracts/routes';
import type { AuthConfig } from '../platform/config';
import type { ClientLookup } from './client-lookup';
import type { OnceForKey } from './idempotency';
import type { Principal } from './principal';

/** An HTTP API event: routes behind the JWT authorizer carry claims, public ones do not. */
export type ApiEvent = APIGatewayProxyEventV2WithJWTAuthorizer | APIGatewayProxyEventV2;

/** What the middlewares learn about a request, for the operation to use. */
export interface ApiContext extends Context {
  route?: Route;
  principal?: Principal | null;
  /** The parsed JSON body, `undefined` when the request has none. */
  jsonBody?: unknown;
  /** `Idempotency-Key` handling, set by `createApiHandler` from its dependencies. */
  onceForKey?: OnceForKey;
}

/**
 * What the HTTP kernel needs from outside, each built at the first request of a function
 * environment (the composition root supplies them; tests give in-memory ones).
 */
export interface ApiDependencies {
  readonly auth: () => AuthConfig;
  /** Per-tenant request counting, and the limit to count against. */
  readonly requestLimiter: () => RateLimitPort;
  readonly requestLimit: () => RateLimit;
  readonly onceForKey: () => OnceForKey;
  /** Machine tokens' client-id mappings (asked only when a machine token arrives). */
  readonly clientLookup: () => ClientLookup;
}

/** A middleware of the API's stack (`createApiHandler`). */
export type ApiMiddleware = MiddlewareObj<ApiEvent, APIGatewayProxyStructuredResultV2, Error, ApiContext>;

/** Per-tenant counters (the table's `RateLimiter`; an in-memory one in tests). */
export interface RateLimitPort {
  /** Counts `cost` units (1 by default); throws `RateLimited` with the seconds to wait when the window is full. */
  consume(tenantId: string, limit: RateLimit, cost?: number): Promise<void>;
}
