import * as z from 'zod';
import { API_SCOPES } from '../../contracts/scopes';
import { apiClients } from '../../src/composition/api-clients';
import { apiHandler } from '../../src/composition/http';
import { operation, tenantOf, type ApiRequest } from '../../src/http/api';

const createBody = z.strictObject({
  name: z.string().trim().min(1).max(64).regex(/^[\p{L}\p{N} ._-]+$/u, 'letters, digits, spaces and . _ - only'),
  scopes: z.array(z.enum(API_SCOPES)).min(1).max(API_SCOPES.length),
});

/** The tenant an admin route names (`/admin/tenants/{id}/...`). */
const pathTenant = (request: ApiRequest<unknown, unknown>): string => request.params.id ?? '';

const create = (tenantOf: (request: ApiRequest<z.infer<typeof createBody>, unknown>) => string) =>
  operation({ body: createBody, idempotent: true }, async (request) => ({
    status: 201,
    body: await apiClients().create(tenantOf(request), request.body),
  }));

const list = (tenantOf: (request: ApiRequest<undefined, undefined>) => string) =>
  operation({}, async (request) => ({ status: 200, body: { api_clients: await apiClients().list(tenantOf(request)) } }));

const revoke = (tenantOf: (request: ApiRequest<undefined, undefined>) => string, idParam: string) =>
  operation({}, async (request) => {
    const id = request.params[idParam] ?? '';
    await apiClients().revoke(tenantOf(request), id);
    return { status: 200, body: { id, revoked: true } };
  });

const callerTenant = (request: ApiRequest<unknown, unknown>): string => tenantOf(request.principal);

/** `POST /api-clients` `{name, scopes}`: 201 with the client and its `client_secret`, shown this once. */
export const createApiClient = create(callerTenant);
export const listApiClients = list(callerTenant);
export const revokeApiClient = revoke(callerTenant, 'id');
export const adminCreateApiClient = create(pathTenant);
export const adminListApiClients = list(pathTenant);
export const adminRevokeApiClient = revoke(pathTenant, 'client');

export const handler = apiHandler('api-clients', {
  createApiClient,
  listApiClients,
  revokeApiClient,
  adminCreateApiClient,
  adminListApiClients,
  adminRevokeApiClient,
});
