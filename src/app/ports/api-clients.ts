import type { ApiScope } from '../../../contracts/scopes';

/** An API client (machine credential) of a tenant, as stored. Its secret is never stored in clear. */
export interface ApiClient {
  /** Our id (`ac_...`), used in the API's paths. */
  readonly id: string;
  readonly tenant_id: string;
  /** The OAuth client id the service presents at the token endpoint (Cognito's app client id). */
  readonly client_id: string;
  readonly name: string;
  readonly scopes: readonly ApiScope[];
  readonly created_at: string;
}

/** What a machine token's `client_id` maps to: the tenant it acts for, or that it was revoked. */
export interface ClientMapping {
  readonly client_id: string;
  readonly tenant_id: string;
  readonly id: string;
  readonly scopes: readonly ApiScope[];
  readonly status: 'active' | 'revoked';
  /** Locally only: the scrypt hash of the secret the local token endpoint checks (Cognito keeps its own). */
  readonly secret_hash?: string;
}

/** The table's side: each tenant's clients (capped) and the client-id mapping, written together. */
export interface ApiClientStore {
  /** Stores a client and its mapping unless the tenant already has the maximum. */
  create(client: ApiClient, secretHash: string | undefined): Promise<'created' | 'limit_reached'>;
  /** How many clients the tenant has now (to refuse before asking the identity provider). */
  count(tenantId: string): Promise<number>;
  list(tenantId: string): Promise<ApiClient[]>;
  get(tenantId: string, id: string): Promise<ApiClient | null>;
  /** Removes the client from its tenant and marks its mapping revoked; false when the tenant has no such client. */
  revoke(tenantId: string, id: string, revokedAt: string): Promise<boolean>;
  /** The mapping of an OAuth client id, read strongly consistent; null when there is none. */
  lookup(clientId: string): Promise<ClientMapping | null>;
}

/** A credential as the identity provider made it; the secret is shown once and then forgotten. */
export interface IssuedCredential {
  readonly clientId: string;
  readonly clientSecret: string;
  /** Set when we check the secret ourselves (the local issuer): what to store instead of it. */
  readonly secretHash?: string;
}

/**
 * Who issues machine credentials: Cognito (an app client with the `client_credentials` grant
 * and resource-server scopes) in AWS, the local token endpoint's own register locally.
 */
export interface CredentialIssuer {
  create(request: { readonly tenantId: string; readonly name: string; readonly scopes: readonly ApiScope[] }): Promise<IssuedCredential>;
  /** Deletes the credential: no new token is issued for it. Deleting one that is gone is not an error. */
  remove(clientId: string): Promise<void>;
}
