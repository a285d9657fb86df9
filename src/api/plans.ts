/** The contract of the `plans` routes (see `define.ts`): the public catalog and the API's own document. */
import * as z from 'zod';
import { ACCESS_LEVELS, dunningSchema } from '../domain/catalog';
import { contract, lazy, type OperationContract } from './define';
import { perCurrency, perResource } from './fields';

/** What a plan includes per period, per resource (`storage_gb` in GB). */
export const limitsSchema = lazy(() => perResource(z.int().nonnegative()).meta({ id: 'Limits' }));

const planSchema = lazy(() =>
  z
    .strictObject({
      id: z.string().regex(/^[a-z][a-z0-9_]*$/),
      name: z.string(),
      limits: limitsSchema(),
      prices: perCurrency(z.strictObject({ monthly: z.int().positive(), annual: z.int().positive() })).meta({
        description: 'Minor units per period, per currency and billing cycle',
      }),
      dunning: dunningSchema.meta({
        id: 'DunningPolicy',
        description: `What access a tenant keeps while a payment is overdue (${ACCESS_LEVELS.join(', ')})`,
      }),
      overage_rates: perCurrency(perResource(z.number().nonnegative())).meta({
        description: 'Minor units per unit past the included quantity, per currency; possibly fractional (0.8 pence)',
      }),
    })
    .meta({ id: 'Plan' }),
);

/** An OpenAPI 3.1 document: checked as such by the tests, described here only by its top. */
const openApiDocumentSchema = lazy(() =>
  z
    .looseObject({
      openapi: z.string().regex(/^3\.1\.\d+$/),
      info: z.looseObject({ title: z.string(), version: z.string() }),
      paths: z.record(z.string(), z.unknown()),
    })
    .meta({ description: 'An OpenAPI 3.1 document' }),
);

export const plansApi = {
  listPlans: contract({
    summary: 'List the plans',
    description: 'The catalog: limits, prices per currency and cycle, overage rates and the dunning policy of every plan. No token needed.',
    responses: () => ({ 200: { description: 'Every plan of the catalog.', schema: z.strictObject({ plans: z.array(planSchema()) }) } }),
  }),
  openApiDocument: contract({
    summary: 'This API as an OpenAPI 3.1 document',
    description: 'Generated from the schemas the handlers validate with: every route, its auth, inputs, answers and errors. No token needed.',
    responses: () => ({ 200: { description: 'The document.', schema: openApiDocumentSchema() } }),
  }),
} as const satisfies Record<string, OperationContract>;
