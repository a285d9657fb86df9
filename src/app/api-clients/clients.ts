import { randomBytes } from 'node:crypto';
import type { ApiScope } from '../../../contracts/scopes';
import type { Clock } from '../../platform/clock';
import { Conflict, NotFound } from '../errors';
import type { ApiClient, ApiClientStore, CredentialIssuer } from '../ports/api-clients';

/** API clients a tenant may have at once. */
export const MAX_API_CLIENTS_PER_TENANT = 20;

/** Our ids: `ac_` and 24 hex characters. */
export const API_CLIENT_ID = /^ac_[0-9a-f]{24}$/;

export interface ApiClientDeps {
  readonly store: ApiClientStore;
  readonly issuer: () => CredentialIssuer;
  readonly clock: Clock;
}

/** What the API shows of a client: never a secret. */
export const apiClientView = (client: ApiClient) => ({
  id: client.id,
  client_id: client.client_id,
  name: client.name,
  scopes: [...client.scopes],
  created_at: client.created_at,
});

export type ApiClientView = ReturnType<typeof apiClientView>;

/**
 * A tenant's machine credentials: create (the secret is answered once), list, revoke. The
 * tenant is the caller's (or the admin's path's), never the body's; revoking marks the client-id
 * mapping revoked, which every request with its tokens reads (src/http/client-lookup.ts, cached
 * at most 5 s per container while active).
 */
export class ApiClients {
  constructor(private readonly deps: ApiClientDeps) {}

  async create(tenantId: string, input: { name: string; scopes: readonly ApiScope[] }): Promise<ApiClientView & { client_secret: string }> {
    if ((await this.deps.store.count(tenantId)) >= MAX_API_CLIENTS_PER_TENANT) throw this.full();
    const scopes = [...new Set(input.scopes)];
    const issuer = this.deps.issuer();
    const credential = await issuer.create({ tenantId, name: input.name, scopes });
    const client: ApiClient = {
      id: `ac_${randomBytes(12).toString('hex')}`,
      tenant_id: tenantId,
      client_id: credential.clientId,
      name: input.name,
      scopes,
      created_at: this.deps.clock.now().toISOString(),
    };
    if ((await this.deps.store.create(client, credential.secretHash)) === 'limit_reached') {
      // Another request took the last place meanwhile: the credential just made must not live on.
      await issuer.remove(credential.clientId);
      throw this.full();
    }
    return { ...apiClientView(client), client_secret: credential.clientSecret };
  }

  async list(tenantId: string): Promise<ApiClientView[]> {
    return (await this.deps.store.list(tenantId)).map(apiClientView);
  }

  /** Marks the mapping revoked (its tokens stop within the lookup cache's 5 s), then deletes the credential so no new token is issued. */
  async revoke(tenantId: string, id: string): Promise<void> {
    if (!API_CLIENT_ID.test(id)) throw new NotFound('No such API client');
    const client = await this.deps.store.get(tenantId, id);
    if (!client || !(await this.deps.store.revoke(tenantId, id, this.deps.clock.now().toISOString()))) {
      throw new NotFound('No such API client');
    }
    await this.deps.issuer().remove(client.client_id);
  }

  private full(): Conflict {
    return new Conflict(`A tenant can have at most ${MAX_API_CLIENTS_PER_TENANT} API clients; revoke one first`);
  }
}
