import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type * as z from 'zod';
import type { OperationContract } from '../api/define';
import { InvalidInput } from '../app/errors';
import { logger } from '../platform/logger';
import { publishMetrics } from '../platform/metrics';
import { operationsOf, routeTable, type RouteTable } from '../../contracts/routes';
import { jsonResponse } from './error-response';
import { authorizeRoute, errorResponder, jsonBody, securityHeaders, tenantRateLimit } from './middleware';
import type { Principal } from './principal';
import type { ApiContext, ApiDependencies, ApiEvent, ApiMiddleware } from './types';
import { perEnvironment } from '../platform/environment';
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
  /** A body that is not JSON (a CSV export), sent as it is; `headers` say its content type. */
  readonly text?: string;
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
 * An operation's contract (`src/api`), of which `operation()` uses the schemas it validates
 * with; tests may pass just those.
 */
export type OperationSchemas<B extends z.ZodType, Q extends z.ZodType> = Partial<Omit<OperationContract, 'body' | 'query'>> & {
  readonly body?: B;
  readonly query?: Q;
};

/**
 * Declares one route's operation: its contract from `src/api` (whose body and query schemas it
 * validates with) and the function that calls the domain. Where the route table says the route
 * honours an `Idempotency-Key` (`idempotency`), a retry with the same key answers once; where it
 * says `required`, a request without one is a 400 naming the header. Validation failures become 400s naming each field; a body on
 * an operation whose contract takes none is a 400 too.
 * @example
 * export const listPlans = operation(plansApi.listPlans, async () => ({ status: 200, body: plansView() }));
 */
export const operation =
  <B extends z.ZodType = z.ZodUndefined, Q extends z.ZodType = z.ZodUndefined>(
    schemas: OperationSchemas<B, Q>,
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
    const idempotency = context.route?.idempotency;
    if (idempotency === 'required' && !key) {
      throw new InvalidInput('An Idempotency-Key header is required', [{ field: 'Idempotency-Key', message: 'required on this route' }]);
    }
    if (idempotency !== undefined && key !== undefined) {
      if (!context.onceForKey) throw new Error('an idempotent operation ran without an Idempotency-Key store');
      // An admin acts on the tenant its path names: the same key for two tenants is two requests.
      const scope = { route: event.routeKey, tenant: context.principal?.tenantId ?? event.pathParameters?.id ?? '', key };
      return context.onceForKey(scope, body, context, () => run(request));
    }
    return run(request);
  };

/**
 * A middleware whose options come from the function's environment: built at its first request,
 * once per environment, so configuration is read where (and only if) it is used.
 */
const perEnvironmentMiddleware = (build: () => ApiMiddleware): ApiMiddleware => {
  const built = perEnvironment(build);
  return {
    before: (request) => built().before?.(request),
    after: (request) => built().after?.(request),
    onError: (request) => built().onError?.(request),
  };
};

/**
 * The Lambda handler of one function group: the shared middleware stack, then the operation
 * the route table names for the request's route key. Its dependencies (auth configuration,
 * rate counters, the Idempotency-Key store) come from the caller: the composition root's
 * `apiHandler` in production, in-memory ones in tests.
 * @example
 * export const handler = createApiHandler('plans', { listPlans }, dependencies);
 */
export const createApiHandler = (
  group: string,
  operations: Record<string, Operation>,
  dependencies: ApiDependencies,
  table: RouteTable = routeTable,
) => {
  const missing = operationsOf(table, group).filter((name) => !(name in operations));
  if (missing.length > 0) throw new Error(`${group} does not implement ${missing.join(', ')}`);

  return middy<ApiEvent, APIGatewayProxyStructuredResultV2, Error, ApiContext>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(publishMetrics())
    .use(securityHeaders())
    .use(errorResponder({ logger }))
    .use(
      perEnvironmentMiddleware(() =>
        authorizeRoute({ routes: table, auth: dependencies.auth(), logger, clients: (clientId) => dependencies.clientLookup()(clientId) }),
      ),
    )
    .use(perEnvironmentMiddleware(() => tenantRateLimit({ limiter: dependencies.requestLimiter(), limit: dependencies.requestLimit() })))
    .use(jsonBody())
    .handler(async (event, context) => {
      const name = context.route?.operation ?? '';
      const run = operations[name];
      if (!run) throw new Error(`operation ${name} is missing in ${group}`);
      // Built on first use: a request without an Idempotency-Key never opens the store.
      context.onceForKey = (scope, body, ctx, work) => dependencies.onceForKey()(scope, body, ctx, work);
      const result = await run(event, context);
      if (typeof result.text === 'string') return { statusCode: result.status, headers: { ...result.headers }, body: result.text };
      return jsonResponse(result.status, result.body ?? null, result.headers);
    });
};
