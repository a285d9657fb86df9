import { apiClientsApi } from '../../src/api/api-clients';
import { apiClients } from '../../src/composition/api-clients';
import { apiHandler } from '../../src/composition/http';
import { operation, tenantOf, type ApiRequest } from '../../src/http/api';

type Contract<K extends keyof typeof apiClientsApi> = (typeof apiClientsApi)[K];

/** The tenant an admin route names (`/admin/tenants/{id}/...`). */
const pathTenant = (request: ApiRequest<unknown, unknown>): string => request.params.id ?? '';

const create = (contract: Contract<'createApiClient' | 'adminCreateApiClient'>, tenantOf: (request: ApiRequest<unknown, unknown>) => string) =>
  operation(contract, async (request) => ({
    status: 201,
    body: await apiClients().create(tenantOf(request), request.body),
  }));

const list = (contract: Contract<'listApiClients' | 'adminListApiClients'>, tenantOf: (request: ApiRequest<unknown, unknown>) => string) =>
  operation(contract, async (request) => ({ status: 200, body: { api_clients: await apiClients().list(tenantOf(request)) } }));

const revoke = (contract: Contract<'revokeApiClient' | 'adminRevokeApiClient'>, tenantOf: (request: ApiRequest<unknown, unknown>) => string, idParam: string) =>
  operation(contract, async (request) => {
    const id = request.params[idParam] ?? '';
    await apiClients().revoke(tenantOf(request), id);
    return { status: 200, body: { id, revoked: true } };
  });

const callerTenant = (request: ApiRequest<unknown, unknown>): string => tenantOf(request.principal);

/** `POST /api-clients` `{name, scopes}`: 201 with the client and its `client_secret`, shown this once. */
export const createApiClient = create(apiClientsApi.createApiClient, callerTenant);
export const listApiClients = list(apiClientsApi.listApiClients, callerTenant);
export const revokeApiClient = revoke(apiClientsApi.revokeApiClient, callerTenant, 'id');
export const adminCreateApiClient = create(apiClientsApi.adminCreateApiClient, pathTenant);
export const adminListApiClients = list(apiClientsApi.adminListApiClients, pathTenant);
export const adminRevokeApiClient = revoke(apiClientsApi.adminRevokeApiClient, pathTenant, 'client');

export const handler = apiHandler('api-clients', {
  createApiClient,
  listApiClients,
  revokeApiClient,
  adminCreateApiClient,
  adminListApiClients,
  adminRevokeApiClient,
});
