import { Validator } from '@seriousme/openapi-schema-validator';
import * as z from 'zod';
import { beforeAll, describe, expect, it } from 'vitest';
import { routes, type Route } from '../../../contracts/routes';
import { SCOPE_DESCRIPTIONS } from '../../../contracts/scopes';
import { apiContract } from '../../../src/api';
import { contract, type OperationContract } from '../../../src/api/define';
import { buildOpenApiDocument, contractCoverage, openApiDocument, type OpenApiDocument } from '../../../src/api/openapi';
import { plansApi } from '../../../src/api/plans';
import { usageApi } from '../../../src/api/usage';
import { plansView } from '../../../src/domain/catalog';
import { toJson } from '../../../src/platform/json';
import { pointer, schemaChecker, type SchemaCheck } from '../../support/openapi';

const contracts: Readonly<Record<string, OperationContract>> = apiContract;
/** The routes whose operation has a contract: the rest is reported by the completeness test, not hidden. */
const covered: readonly Route[] = routes.filter((r) => contracts[r.operation]);
const contractOf = (route: Route): OperationContract => contracts[route.operation] as OperationContract;

let document: OpenApiDocument;
let check: SchemaCheck;
beforeAll(() => {
  document = buildOpenApiDocument({ routes: covered });
  check = schemaChecker(document);
});

const operationOf = (route: Route) => {
  const op = document.paths[route.path]?.[route.method.toLowerCase()];
  if (!op) throw new Error(`${route.method} ${route.path} is not in the document`);
  return op;
};
const operationPointer = (route: Route, ...rest: string[]) => pointer('paths', route.path, route.method.toLowerCase(), ...rest);

describe('the API contract', () => {
  it('has a contract for every operation of the route table, and a route for every contract', () => {
    // Prepare / Act
    const { routesWithoutContract, contractsWithoutRoute } = contractCoverage();
    // Assess: the messages name what is missing
    expect(routesWithoutContract, `routes whose operation has no contract in src/api: ${routesWithoutContract.join(', ')}`).toEqual([]);
    expect(contractsWithoutRoute, `contract operations that no route runs: ${contractsWithoutRoute.join(', ')}`).toEqual([]);
  });

  it.each(covered.map((r) => [r.operation, r] as const))('%s has an example request its own schemas accept', (_, route) => {
    const op = contractOf(route);
    const takesInput = op.body !== undefined || op.rawBody !== undefined || op.query !== undefined;
    if (takesInput) expect(op.example, `${route.operation} takes input but has no example`).toBeDefined();
    const body = op.example?.body;
    if (op.body) expect(op.body.safeParse(body).error?.issues ?? []).toEqual([]);
    if (op.documentedBody) expect(op.documentedBody.safeParse(body).error?.issues ?? []).toEqual([]);
    if (op.rawBody?.schema) expect(op.rawBody.schema.safeParse(body).error?.issues ?? []).toEqual([]);
    if (!op.body && !op.rawBody) expect(body).toBeUndefined();
    if (op.query) expect(op.query.safeParse(op.example?.query ?? {}).error?.issues ?? []).toEqual([]);
    else expect(op.example?.query).toBeUndefined();
  });
});

describe('buildOpenApiDocument', () => {
  it('validates as OpenAPI 3.1', async () => {
    // Prepare
    const validator = new Validator();
    // Act
    const result = await validator.validate(structuredClone(document) as unknown as Record<string, unknown>);
    // Assess
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('documents every route once, by its operation name and group', () => {
    const ids = covered.map((route) => {
      const op = operationOf(route);
      expect(op.tags).toEqual([route.group]);
      expect(op.summary.length).toBeGreaterThan(0);
      return op.operationId;
    });
    expect(ids).toEqual(covered.map((r) => r.operation));
    expect(Object.values(document.paths).flatMap((item) => Object.keys(item))).toHaveLength(covered.length);
  });

  it('throws naming the operations that have no contract', () => {
    const extra: Route = { method: 'GET', path: '/nowhere', group: 'plans', operation: 'noSuchOperation', auth: 'public' };
    expect(() => buildOpenApiDocument({ routes: [...covered, extra] })).toThrow(/noSuchOperation/);
  });

  it('serves the same document object on every call with the same options', () => {
    expect(openApiDocument()).toBe(openApiDocument());
    expect(openApiDocument({ serverUrl: 'https://api.example.com/api/billing' }).servers[0]?.url).toBe('https://api.example.com/api/billing');
  });

  describe('security', () => {
    it('offers a bearer JWT for people and OAuth 2 client credentials with the scopes of contracts/scopes.ts for machines', () => {
      const schemes = document.components.securitySchemes;
      expect(schemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
      expect(schemes.apiClient).toMatchObject({ type: 'oauth2', flows: { clientCredentials: { scopes: SCOPE_DESCRIPTIONS } } });
    });

    it.each(covered.map((r) => [`${r.method} ${r.path}`, r] as const))('%s asks for what its route table entry says', (_, route) => {
      const { security } = operationOf(route);
      if (route.auth === 'public' || route.auth === 'stripe') expect(security).toEqual([]);
      if (route.auth === 'admin') expect(security).toEqual([{ bearerAuth: ['billing-admin'] }]);
      if (route.auth === 'tenant') {
        expect(security).toEqual([{ bearerAuth: [] }, ...(route.scopes ? [{ apiClient: [...route.scopes] }] : [])]);
      }
    });

    it('takes the Stripe webhook without a token, with its signature header and the raw event', () => {
      const op = operationOf(routes.find((r) => r.operation === 'receiveStripeEvent') as Route);
      expect(op.security).toEqual([]);
      expect(op.parameters).toContainEqual(expect.objectContaining({ name: 'Stripe-Signature', in: 'header', required: true }));
      expect(op.requestBody).toMatchObject({ required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/StripeEvent' } } } });
    });
  });

  describe('errors', () => {
    const statuses = (route: Route) => Object.keys(operationOf(route).responses).map(Number);

    it('shares the error shape {"error": {"code", "message", "details"?}} as a component', () => {
      expect(document.components.schemas.Error).toMatchObject({
        type: 'object',
        required: ['error'],
        properties: { error: { required: ['code', 'message'], properties: { details: { type: 'array' } } } },
      });
      expect(check(pointer('components', 'schemas', 'Error'), { error: { code: 'not_found', message: 'No such invoice' } })).toBeNull();
      expect(check(pointer('components', 'schemas', 'Error'), { error: { message: 'no code' } })).not.toBeNull();
    });

    it.each(covered.map((r) => [`${r.method} ${r.path}`, r] as const))('%s documents the failures its auth and inputs imply', (_, route) => {
      const documented = statuses(route);
      expect(documented).toEqual(expect.arrayContaining([400, 429, 500]));
      const authenticated = route.auth === 'tenant' || route.auth === 'admin';
      expect(documented.includes(401)).toBe(authenticated);
      expect(documented.includes(403)).toBe(authenticated);
      if (route.path.includes('{')) expect(documented).toContain(404);
      if (route.idempotency) expect(documented).toContain(409);
      for (const status of Object.keys(contractOf(route).errors ?? {})) expect(documented).toContain(Number(status));
    });

    it('answers 404 on GET /subscriptions/current and 409 where creating a subscription conflicts', () => {
      expect(statuses(routes.find((r) => r.operation === 'currentSubscription') as Route)).toContain(404);
      expect(statuses(routes.find((r) => r.operation === 'createSubscription') as Route)).toContain(409);
    });

    it('sends Retry-After with 429', () => {
      expect(document.components.responses.TooManyRequests).toMatchObject({ headers: { 'Retry-After': { $ref: '#/components/headers/RetryAfter' } } });
    });
  });

  describe('inputs', () => {
    it.each(covered.map((r) => [r.operation, r] as const))('%s: one query parameter per property of its query schema, path parameters from its path', (_, route) => {
      const op = contractOf(route);
      const params = operationOf(route).parameters ?? [];
      const query = params.filter((p) => p.in === 'query').map((p) => p.name);
      const shape = op.query && 'shape' in op.query ? Object.keys((op.query as z.ZodObject).shape) : [];
      expect(query).toEqual(shape);
      const inPath = params.filter((p) => p.in === 'path').map((p) => p.name);
      expect(inPath).toEqual([...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]));
    });

    it.each(covered.map((r) => [r.operation, r] as const))('%s takes Idempotency-Key exactly when its route honours it, required where the route requires it', (_, route) => {
      const params = operationOf(route).parameters ?? [];
      expect(params.some((p) => p.$ref === '#/components/parameters/IdempotencyKey')).toBe(route.idempotency === 'optional');
      expect(params.some((p) => p.$ref === '#/components/parameters/IdempotencyKeyRequired')).toBe(route.idempotency === 'required');
    });

    it.each(covered.map((r) => [r.operation, r] as const))("%s: the document's schemas accept the example", (_, route) => {
      const op = operationOf(route);
      const body = contractOf(route).example?.body;
      if (op.requestBody) {
        const [mediaType] = Object.keys(op.requestBody.content as object);
        expect(check(operationPointer(route, 'requestBody', 'content', mediaType ?? '', 'schema'), body)).toBeNull();
        expect((op.requestBody.content as Record<string, { example?: unknown }>)[mediaType ?? '']?.example).toEqual(body);
      }
      (op.parameters ?? []).forEach((p, i) => {
        if (p.in === 'query' && p.example !== undefined) expect(check(operationPointer(route, 'parameters', String(i), 'schema'), p.example)).toBeNull();
      });
    });

    it("documents POST /usage/track's body as exactly what the handler's schema accepts", () => {
      // Prepare: bodies either side of each rule
      const record = { resource_type: 'api_calls', usage_amount: 3 };
      const samples: unknown[] = [
        record,
        { records: [record, { resource_type: 'storage_gb', usage_amount: 1.5 }] },
        { records: [] },
        { records: [record], resource_type: 'users' },
        { ...record, records: [record] },
        { resource_type: 'api_calls', usage_amount: 1.5 },
        { resource_type: 'cpu', usage_amount: 1 },
        { ...record, tenant_id: 'org-b' },
        { records: 'all of them' },
        {},
        [],
        null,
      ];
      const { body, documentedBody } = usageApi.trackUsage;
      // Act / Assess
      for (const sample of samples) expect([sample, documentedBody.safeParse(sample).success]).toEqual([sample, body.safeParse(sample).success]);
    });
  });

  describe('answers', () => {
    it('describes GET /plans as the catalog view answers it', () => {
      expect(plansApi.listPlans.responses()[200].schema.safeParse(JSON.parse(toJson(plansView()))).error?.issues ?? []).toEqual([]);
      const listPlans = routes.find((r) => r.operation === 'listPlans') as Route;
      expect(check(operationPointer(listPlans, 'responses', '200', 'content', 'application/json', 'schema'), JSON.parse(toJson(plansView())))).toBeNull();
    });

    it("describes GET /openapi.json's answer, the document itself", () => {
      const route = routes.find((r) => r.operation === 'openApiDocument') as Route;
      expect(check(operationPointer(route, 'responses', '200', 'content', 'application/json', 'schema'), JSON.parse(JSON.stringify(document)))).toBeNull();
    });

    it('names a shared schema once, and refuses two different schemas under one name', () => {
      expect(document.components.schemas.Subscription).toBeDefined();
      const a = z.strictObject({ a: z.string() }).meta({ id: 'Twice' });
      const b = z.strictObject({ b: z.string() }).meta({ id: 'Twice' });
      const twice = {
        first: contract({ summary: 'a', responses: () => ({ 200: { description: 'a', schema: a } }) }),
        second: contract({ summary: 'b', responses: () => ({ 200: { description: 'b', schema: b } }) }),
      };
      const table: Route[] = [
        { method: 'GET', path: '/a', group: 'plans', operation: 'first', auth: 'public' },
        { method: 'GET', path: '/b', group: 'plans', operation: 'second', auth: 'public' },
      ];
      expect(() => buildOpenApiDocument({ routes: table, contract: twice })).toThrow(/named Twice/);
    });
  });
});
