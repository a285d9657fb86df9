import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { z } from 'zod';
import { InvalidInput } from '../app/errors';
import { authConfig } from '../platform/config';
import { logger } from '../platform/logger';
import { publishMetrics } from '../platform/metrics';
import { operationsOf, routeTable, type RouteTable } from '../../contracts/routes';
import { jsonResponse } from './error-response';
import { authorizeRoute, errorResponder, jsonBody, securityHeaders, tenantRateLimit, type ApiContext } from './middleware';
import type { Principal } from './principal';
import type { ApiEvent } from './types';
import { onceForKey, perEnvironmentMiddleware, requestLimit, requestLimiter } from './wiring';
import { zodIssues } from './validation';

export interface ApiRequest<B, Q> {
  readonly body: B;
  readonly query: Q;
  readonly params: Readonly<Record<string, string>>;
  readonly principal: Principal | null;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly event: ApiEvent;
}

/**
 * The tenant of a request on a `tenant` route. The route table's auth guarantees the claim, so
 * its absence here is a wiring bug (a 500), not a client error.
 */
export const tenantOf = (principal: Principal | null): string => {
  if (!principal?.tenantId) throw new Error('tenant route reached without a tenant principal');
  return principal.tenantId;
};

export interface ApiResult {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

export interface Operation {
  (event: ApiEvent, context: ApiContext): Promise<ApiResult>;
}

const validate = <S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query'): z.infer<S> => {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new InvalidInput(`Invalid ${where}`, zodIssues(parsed.error, where));
  }
  return parsed.data;
};

/**
 * Declares one route's operation: the zod schemas for its body and query, and the function
 * that calls the domain. Validation failures become 400s naming each field.
 * @example
 * export const listPlans = operation({}, async () => ({ status: 200, body: plansView() }));
 */
export const operation =
  <B extends z.ZodType = z.ZodUndefined, Q extends z.ZodType = z.ZodUndefined>(
    schemas: { body?: B; query?: Q; /** Honour the `Idempotency-Key` header (writes that create money or subscriptions). */ idempotent?: boolean },
    run: (request: ApiRequest<z.infer<B>, z.infer<Q>>) => Promise<ApiResult>,
  ): Operation =>
  async (event, context) => {
    if (schemas.body === undefined && context.jsonBody !== undefined) {
      throw new InvalidInput('This route takes no body', [{ field: 'body', message: 'unexpected body' }]);
    }
    const body = schemas.body ? validate(schemas.body, context.jsonBody, 'body') : undefined;
    const query = schemas.query ? validate(schemas.query, event.queryStringParameters ?? {}, 'query') : undefined;
    const request = {
      body: body as z.infer<B>,
      query: query as z.infer<Q>,
      params: Object.fromEntries(
        Object.entries(event.pathParameters ?? {}).filter((e): e is [string, string] => e[1] !== undefined),
      ),
      principal: context.principal ?? null,
      headers: event.headers,
      event,
    };
    const key = event.headers['idempotency-key'];
    if (schemas.idempotent && key !== undefined) {
      const scope = { route: event.routeKey, tenant: context.principal?.tenantId ?? '', key };
      return onceForKey(scope, body, context, () => run(request));
    }
    return run(request);
  };

/**
 * The Lambda handler of one function group: the shared middleware stack, then the operation
 * the route table names for the request's route key. The middlewares get their production
 * dependencies here: the platform logger, the auth and rate-limit configuration and the table's
 * rate counters (`./wiring`), read at the first request of each environment.
 * @example
 * export const handler = createApiHandler('plans', { listPlans, getPlan });
 */
export const createApiHandler = (
  group: string,
  operations: Record<string, Operation>,
  table: RouteTable = routeTable,
) => {
  const missing = operationsOf(table, group).filter((name) => !(name in operations));
  if (missing.length > 0) throw new Error(`${group} does not implement ${missing.join(', ')}`);

  return middy<ApiEvent, APIGatewayProxyStructuredResultV2, Error, ApiContext>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(publishMetrics())
    .use(securityHeaders())
    .use(errorResponder({ logger }))
    .use(perEnvironmentMiddleware(() => authorizeRoute({ routes: table, auth: authConfig(), logger })))
    .use(perEnvironmentMiddleware(() => tenantRateLimit({ limiter: requestLimiter, limit: requestLimit() })))
    .use(jsonBody())
    .handler(async (event, context) => {
      const name = context.route?.operation ?? '';
      const run = operations[name];
      if (!run) throw new Error(`operation ${name} is missing in ${group}`);
      const result = await run(event, context);
      return jsonResponse(result.status, result.body ?? null, result.headers);
    });
};
