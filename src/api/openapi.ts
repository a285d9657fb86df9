/**
 * The OpenAPI 3.1 document of the API, generated: paths, methods, groups and auth from the route
 * table (`contracts/routes.ts`), inputs and answers from the contract's zod schemas (the ones the
 * handlers validate with) through zod's own `z.toJSONSchema` (JSON Schema 2020-12, the dialect of
 * OpenAPI 3.1), errors from each route's auth and inputs. Schemas named with `.meta({ id })`
 * become `components.schemas`. Served at `GET /openapi.json` and written by `npm run openapi`.
 */
import * as z from 'zod';
import { API_PREFIX, functionGroups, routes as routeTable, type Route } from '../../contracts/routes';
import { SCOPE_DESCRIPTIONS } from '../../contracts/scopes';
import type { OperationContract } from './define';
import { errorSchema, gatewayErrorSchema } from './errors';
import { apiContract } from './index';

type Json = Record<string, unknown>;

export interface OpenApiOperation {
  readonly operationId: string;
  readonly tags: readonly string[];
  readonly summary: string;
  readonly description?: string;
  readonly security: readonly Readonly<Record<string, readonly string[]>>[];
  readonly parameters?: readonly Json[];
  readonly requestBody?: Json;
  readonly responses: Readonly<Record<string, Json>>;
}

export interface OpenApiDocument {
  readonly openapi: string;
  readonly info: { readonly title: string; readonly version: string; readonly description: string };
  readonly servers: readonly { readonly url: string; readonly description: string }[];
  readonly tags: readonly { readonly name: string; readonly description: string }[];
  readonly paths: Readonly<Record<string, Readonly<Record<string, OpenApiOperation>>>>;
  readonly components: {
    readonly schemas: Readonly<Record<string, Json>>;
    readonly responses: Readonly<Record<string, Json>>;
    readonly parameters: Readonly<Record<string, Json>>;
    readonly headers: Readonly<Record<string, Json>>;
    readonly securitySchemes: Readonly<Record<string, Json>>;
  };
}

export interface OpenApiOptions {
  /** The API's base URL; relative (the default, `/api/billing`) resolves against where the document is served. */
  readonly serverUrl?: string;
  /** Where API clients get tokens (the Cognito domain's `/oauth2/token`; the stack's `TokenEndpoint` output). */
  readonly tokenUrl?: string;
  /** The group whose members are admins (`ADMIN_GROUP`). */
  readonly adminGroup?: string;
  /** The routes to document (default: the whole route table); each needs a contract. */
  readonly routes?: readonly Route[];
  readonly contract?: Readonly<Record<string, OperationContract>>;
}

/** The version the document gives the API (`info.version`). */
export const API_VERSION = '0.1.0';

const SECURITY = { person: 'bearerAuth', machine: 'apiClient' } as const;

/** The failure statuses a route can answer, with the general reason; a contract's `errors` refine them. */
const ERRORS = {
  400: { name: 'BadRequest', description: 'Invalid input: `details` names each field and why.', gateway: true },
  401: { name: 'Unauthorized', description: 'No valid bearer token (API Gateway answers before the handler), or an API client that was revoked.', gateway: true },
  402: { name: 'PaymentRequired', description: 'The card was declined or needs another payment method.', gateway: false },
  403: { name: 'Forbidden', description: 'The token may not call this route (its role, tenant claim or scopes).', gateway: true },
  404: { name: 'NotFound', description: "No such resource (also for another tenant's).", gateway: false },
  409: { name: 'Conflict', description: 'The request conflicts with the current state, or its Idempotency-Key was used with another body.', gateway: false },
  413: { name: 'PayloadTooLarge', description: 'The body is larger than 1 MiB.', gateway: true },
  415: { name: 'UnsupportedMediaType', description: 'The body is not `application/json`.', gateway: false },
  429: { name: 'TooManyRequests', description: "Too many requests: the tenant's limit (with `Retry-After`) or API Gateway's throttling.", gateway: true },
  500: { name: 'InternalError', description: 'An internal error; no internals are shown.', gateway: true },
  503: { name: 'ServiceUnavailable', description: 'A dependency did not take the request; nothing was accepted, retry.', gateway: true },
} as const satisfies Record<number, { name: string; description: string; gateway: boolean }>;
type ErrorStatus = keyof typeof ERRORS;

const WITH_RETRY_AFTER: readonly ErrorStatus[] = [429, 503];

/** The errors of a route: from its auth, inputs and Idempotency-Key, plus those its contract names. */
const errorStatuses = (route: Route, op: OperationContract): ErrorStatus[] => {
  const statuses = new Set<number>([400, 429, 500]);
  if (route.auth === 'tenant' || route.auth === 'admin') [401, 403].forEach((s) => statuses.add(s));
  if (route.path.includes('{')) statuses.add(404);
  if (op.body) [413, 415].forEach((s) => statuses.add(s));
  if (op.rawBody) statuses.add(413);
  if (route.idempotency) statuses.add(409);
  for (const status of Object.keys(op.errors ?? {})) statuses.add(Number(status));
  const unknown = [...statuses].filter((s) => !(s in ERRORS));
  if (unknown.length > 0) throw new Error(`${route.operation} names error statuses the document does not know: ${unknown.join(', ')}`);
  return [...statuses].sort((a, b) => a - b) as ErrorStatus[];
};

/** Replaces `#/$defs/X` (zod's) with `#/components/schemas/X` throughout. */
const toComponentRefs = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(toComponentRefs);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' ? v.replace(/^#\/\$defs\//, '#/components/schemas/') : toComponentRefs(v)]),
  );
};

/**
 * JSON Schemas of the contract's zod schemas, sharing `components.schemas`: `input` for what
 * clients send (before coercion and defaults), `output` for what the API answers.
 */
class SchemaSet {
  readonly components: Record<string, Json> = {};

  convert(schema: z.ZodType, io: 'input' | 'output', where: string): Json {
    const generated = z.toJSONSchema(schema, {
      target: 'draft-2020-12',
      io,
      // `format` says it; zod's regex for the same would repeat it in every field.
      override: ({ jsonSchema }) => {
        if (jsonSchema.format === 'date-time' || jsonSchema.format === 'date') delete jsonSchema.pattern;
      },
    }) as Json;
    const { $schema: _dialect, $defs, ...root } = generated;
    for (const [name, def] of Object.entries(($defs ?? {}) as Record<string, Json>)) this.add(name, toComponentRefs(def) as Json, where);
    return toComponentRefs(root) as Json;
  }

  private add(name: string, schema: Json, where: string): void {
    const known = this.components[name];
    if (known && JSON.stringify(known) !== JSON.stringify(schema)) {
      throw new Error(`two different schemas are named ${name} (again in ${where}): name one of them otherwise`);
    }
    this.components[name] = schema;
  }
}

const pathParams = (path: string): string[] => [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '');

/** One query parameter per property of the query object's JSON Schema. */
const queryParameters = (schemas: SchemaSet, op: OperationContract, name: string): Json[] => {
  if (!op.query) return [];
  const json = schemas.convert(op.query, 'input', `${name} query`);
  const properties = (json.properties ?? {}) as Record<string, Json>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(properties).map(([param, schema]) => {
    const { description, ...rest } = schema;
    const given = op.example?.query?.[param];
    // The example's strings as the parameter's type: `limit: '10'` is 10.
    const example = given !== undefined && (rest.type === 'integer' || rest.type === 'number') ? Number(given) : given;
    return {
      name: param,
      in: 'query',
      required: required.has(param),
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
      ...(example === undefined ? {} : { example }),
    };
  });
};

const parameters = (schemas: SchemaSet, route: Route, op: OperationContract): Json[] => [
  ...pathParams(route.path).map((param) => ({
    name: param,
    in: 'path',
    required: true,
    ...(op.params?.[param] ? { description: op.params[param] } : {}),
    schema: { type: 'string' },
  })),
  ...queryParameters(schemas, op, route.operation),
  ...Object.entries(op.headers ?? {}).map(([header, h]) => ({
    name: header,
    in: 'header',
    required: h.required ?? false,
    description: h.description,
    schema: { type: 'string' },
  })),
  ...(route.idempotency === 'required'
    ? [{ $ref: '#/components/parameters/IdempotencyKeyRequired' }]
    : route.idempotency === 'optional'
      ? [{ $ref: '#/components/parameters/IdempotencyKey' }]
      : []),
];

const requestBody = (schemas: SchemaSet, op: OperationContract, name: string): Json | undefined => {
  const example = op.example?.body === undefined ? {} : { example: op.example.body };
  if (op.rawBody) {
    const schema = op.rawBody.schema ? schemas.convert(op.rawBody.schema, 'input', `${name} body`) : {};
    return { required: true, description: op.rawBody.description, content: { [op.rawBody.contentType]: { schema, ...example } } };
  }
  if (!op.body) return undefined;
  const schema = schemas.convert(op.documentedBody ?? op.body, 'input', `${name} body`);
  return { required: !op.body.safeParse(undefined).success, content: { 'application/json': { schema, ...example } } };
};

const responses = (schemas: SchemaSet, route: Route, op: OperationContract): Record<string, Json> => {
  const success = Object.entries(op.responses()).map(([status, r]): [string, Json] => {
    const mediaType = (r.contentType ?? 'application/json').split(';')[0]?.trim() ?? 'application/json';
    const schema = r.schema ? schemas.convert(r.schema, 'output', `${route.operation} ${status}`) : { type: 'string' };
    return [status, { description: r.description, content: { [mediaType]: { schema } } }];
  });
  const failures = errorStatuses(route, op).map((status): [string, Json] => {
    const reason = op.errors?.[status] ?? (status === 400 && !op.body && !op.query && !op.rawBody ? 'This route takes no input: a body is refused.' : undefined);
    return [String(status), { $ref: `#/components/responses/${ERRORS[status].name}`, ...(reason ? { description: reason } : {}) }];
  });
  return Object.fromEntries([...success, ...failures]);
};

const security = (route: Route, adminGroup: string): Record<string, string[]>[] => {
  if (route.auth === 'public' || route.auth === 'stripe') return [];
  if (route.auth === 'admin') return [{ [SECURITY.person]: [adminGroup] }];
  return [{ [SECURITY.person]: [] }, ...(route.scopes?.length ? [{ [SECURITY.machine]: [...route.scopes] }] : [])];
};

const errorComponents = (schemas: SchemaSet) => {
  const ours = schemas.convert(errorSchema, 'output', 'errors');
  const gateway = schemas.convert(gatewayErrorSchema, 'output', 'errors');
  const badRequest = {
    error: { code: 'invalid_request', message: 'Invalid body', details: [{ field: 'records.3.usage_amount', message: 'Too small: expected number to be >=0' }] },
  };
  return Object.fromEntries(
    Object.entries(ERRORS).map(([status, e]) => [
      e.name,
      {
        description: e.description,
        ...(WITH_RETRY_AFTER.includes(Number(status) as ErrorStatus) ? { headers: { 'Retry-After': { $ref: '#/components/headers/RetryAfter' } } } : {}),
        content: {
          'application/json': {
            schema: e.gateway ? { anyOf: [ours, gateway] } : ours,
            ...(status === '400' ? { example: badRequest } : {}),
          },
        },
      },
    ]),
  );
};

/**
 * Builds the document for `routes` (default: the whole route table). Throws when a route has no
 * contract, naming the operations (see `contractCoverage`).
 * @example
 * const doc = buildOpenApiDocument({ serverUrl: 'https://api.example.com/api/billing' });
 */
export const buildOpenApiDocument = (options: OpenApiOptions = {}): OpenApiDocument => {
  const documented = options.routes ?? routeTable;
  const contracts: Readonly<Record<string, OperationContract>> = options.contract ?? apiContract;
  const adminGroup = options.adminGroup ?? 'billing-admin';
  const missing = documented.filter((r) => !contracts[r.operation]).map((r) => r.operation);
  if (missing.length > 0) throw new Error(`operations without a contract in src/api: ${missing.join(', ')}`);

  const schemas = new SchemaSet();
  const paths: Record<string, Record<string, OpenApiOperation>> = {};
  for (const route of documented) {
    const op = contracts[route.operation] as OperationContract;
    const params = parameters(schemas, route, op);
    const body = requestBody(schemas, op, route.operation);
    paths[route.path] = {
      ...paths[route.path],
      [route.method.toLowerCase()]: {
        operationId: route.operation,
        tags: [route.group],
        summary: op.summary,
        ...(op.description ? { description: op.description } : {}),
        security: security(route, adminGroup),
        ...(params.length > 0 ? { parameters: params } : {}),
        ...(body ? { requestBody: body } : {}),
        responses: responses(schemas, route, op),
      },
    };
  }
  const responseComponents = errorComponents(schemas);
  const groups = [...new Set(documented.map((r) => r.group))];

  return {
    openapi: '3.1.1',
    info: {
      title: 'SecureNet Billing API',
      version: API_VERSION,
      description:
        'Plans, subscriptions, usage metering, invoices, entitlements and webhooks. JSON is snake_case; money is integer minor ' +
        'units with a `currency`; times are ISO 8601 UTC. People call with a JWT (bearer); services with an API client\'s ' +
        'token (OAuth 2 client credentials) on the routes that declare scopes. Errors are `{"error": {"code", "message", "details"?}}`.',
    },
    servers: [{ url: options.serverUrl ?? API_PREFIX, description: 'The billing API' }],
    tags: groups.map((g) => ({ name: g, description: (functionGroups as Record<string, { description: string }>)[g]?.description ?? g })),
    paths,
    components: {
      schemas: schemas.components,
      responses: responseComponents,
      parameters: {
        IdempotencyKey: {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          description: 'Makes a retry safe: the same key with the same body answers what the first request answered, once.',
          schema: { type: 'string', minLength: 1, maxLength: 255 },
        },
        IdempotencyKeyRequired: {
          name: 'Idempotency-Key',
          in: 'header',
          required: true,
          description: 'Required: one key per action, reused only to resend that same action; the same key with the same body answers what the first request answered, once.',
          schema: { type: 'string', minLength: 1, maxLength: 255 },
        },
      },
      headers: {
        RetryAfter: { description: 'Seconds to wait before retrying.', schema: { type: 'integer', minimum: 0 } },
      },
      securitySchemes: {
        [SECURITY.person]: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            "A person's token from the user pool (Cognito, or the configured OIDC issuer). The tenant comes from its tenant claim, " +
            `never from the request; admin routes need the \`${adminGroup}\` group in its groups claim.`,
        },
        [SECURITY.machine]: {
          type: 'oauth2',
          description: "An API client's token (machine credentials, bound to one tenant): only on routes that declare its scopes.",
          flows: { clientCredentials: { tokenUrl: options.tokenUrl ?? '/oauth2/token', scopes: { ...SCOPE_DESCRIPTIONS } } },
        },
      },
    },
  };
};

/**
 * Which routes lack a contract, and which contract operations no route runs.
 * @example
 * contractCoverage().routesWithoutContract // [] when every route is documented
 */
export const contractCoverage = (
  routes: readonly Pick<Route, 'operation'>[] = routeTable,
  contracts: Readonly<Record<string, OperationContract>> = apiContract,
): { readonly routesWithoutContract: string[]; readonly contractsWithoutRoute: string[] } => ({
  routesWithoutContract: routes.filter((r) => !contracts[r.operation]).map((r) => r.operation),
  contractsWithoutRoute: Object.keys(contracts).filter((name) => !routes.some((r) => r.operation === name)),
});

const built = new Map<string, OpenApiDocument>();

/**
 * The document of the whole route table, built once per process (per options).
 * @example
 * const doc = openApiDocument({ adminGroup: 'billing-admin' });
 */
export const openApiDocument = (options: Pick<OpenApiOptions, 'serverUrl' | 'tokenUrl' | 'adminGroup'> = {}): OpenApiDocument => {
  const key = JSON.stringify([options.serverUrl, options.tokenUrl, options.adminGroup]);
  const doc = built.get(key) ?? buildOpenApiDocument(options);
  built.set(key, doc);
  return doc;
};
