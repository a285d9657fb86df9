/** The contract of the `api-clients` routes (see `define.ts`): machine credentials, for the tenant itself or an admin. */
import * as z from 'zod';
import { API_SCOPES } from '../../contracts/scopes';
import { contract, lazy, type OperationContract } from './define';
import { instant } from './fields';

const createBody = z.strictObject({
  name: z.string().trim().min(1).max(64).regex(/^[\p{L}\p{N} ._-]+$/u, 'letters, digits, spaces and . _ - only'),
  scopes: z.array(z.enum(API_SCOPES)).min(1).max(API_SCOPES.length),
});

/** What the API shows of a client: never a secret. */
export const apiClientSchema = lazy(() =>
  z
    .strictObject({
      id: z.string().regex(/^ac_[0-9a-f]{24}$/),
      client_id: z.string().min(1).meta({ description: 'The OAuth client id its service asks the token endpoint with' }),
      name: z.string(),
      scopes: z.array(z.enum(API_SCOPES)),
      created_at: instant,
    })
    .meta({ id: 'ApiClient' }),
);

const created = lazy(() => z.strictObject({ ...apiClientSchema().shape, client_secret: z.string().min(1) }));
const listed = lazy(() => z.strictObject({ api_clients: z.array(apiClientSchema()) }));
const revoked = lazy(() => z.strictObject({ id: z.string(), revoked: z.literal(true) }));

const example = { body: { name: 'device agents', scopes: ['billing/usage.write'] } };
const full = 'The tenant has 20 API clients already; revoke one first.';

export const apiClientsApi = {
  createApiClient: contract({
    summary: 'Create an API client',
    description:
      "A machine credential of the caller's tenant (OAuth client credentials) with the scopes given; its `client_secret` is " +
      'answered this once. At most 20 per tenant (409 beyond).',
    body: createBody,
    responses: () => ({ 201: { description: 'The client and its secret (shown once).', schema: created() } }),
    errors: { 409: full },
    example,
  }),
  listApiClients: contract({
    summary: "List the tenant's API clients",
    description: 'Oldest first; revoked clients are gone; never a secret.',
    responses: () => ({ 200: { description: "The tenant's clients.", schema: listed() } }),
  }),
  revokeApiClient: contract({
    summary: 'Revoke an API client',
    description: 'Its tokens stop working within seconds and no new token is issued.',
    params: { id: 'The API client id (`ac_...`)' },
    responses: () => ({ 200: { description: 'Revoked.', schema: revoked() } }),
    errors: { 404: 'No such API client of this tenant.' },
  }),
  adminCreateApiClient: contract({
    summary: 'Create an API client for a tenant (admin)',
    description: 'As `POST /api-clients`, for the tenant the path names; its `client_secret` is answered this once.',
    params: { id: 'The tenant id' },
    body: createBody,
    responses: () => ({ 201: { description: 'The client and its secret (shown once).', schema: created() } }),
    errors: { 409: full },
    example,
  }),
  adminListApiClients: contract({
    summary: "List a tenant's API clients (admin)",
    params: { id: 'The tenant id' },
    responses: () => ({ 200: { description: "The tenant's clients.", schema: listed() } }),
  }),
  adminRevokeApiClient: contract({
    summary: "Revoke a tenant's API client (admin)",
    description: 'Its tokens stop working within seconds and no new token is issued.',
    params: { id: 'The tenant id', client: 'The API client id (`ac_...`)' },
    responses: () => ({ 200: { description: 'Revoked.', schema: revoked() } }),
    errors: { 404: 'No such API client of this tenant.' },
  }),
} as const satisfies Record<string, OperationContract>;
