import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { ApiClient, ApiClientStore, ClientMapping } from '../../app/ports/api-clients';
import type { TableRef } from './client';
import { API_CLIENT_FIELD, apiClientCountKey, apiClientKey, apiClientPrefix, ATTR, clientMappingKey, tenantPk } from './keys';
import { deleteCounted, putCounted } from './conditions';
import { queryAll } from './query';

/** A revoked mapping stays this long (far beyond a token's 15 minutes), then expires by TTL. */
const REVOKED_MAPPING_TTL_SECONDS = 24 * 3600;


const withoutKeys = (item: Record<string, unknown>): Record<string, unknown> => {
  const { [ATTR.pk]: _pk, [ATTR.sk]: _sk, [ATTR.ttl]: _ttl, ...rest } = item;
  return rest;
};

/**
 * A tenant's API clients under its partition (capped by a counter in the same transactions),
 * and one mapping item per OAuth client id, which machine requests read to learn their tenant.
 */
export class ApiClientRepository implements ApiClientStore {
  constructor(
    private readonly table: TableRef,
    private readonly options: { readonly clientLimit: number },
  ) {}

  async create(client: ApiClient, secretHash: string | undefined): Promise<'created' | 'limit_reached'> {
    const mapping: ClientMapping = {
      client_id: client.client_id,
      tenant_id: client.tenant_id,
      id: client.id,
      scopes: client.scopes,
      status: 'active',
      ...(secretHash ? { secret_hash: secretHash } : {}),
    };
    return putCounted(this.table, { key: apiClientCountKey(client.tenant_id), attribute: API_CLIENT_FIELD.count, limit: this.options.clientLimit }, [
      { ...apiClientKey(client.tenant_id, client.id), ...client },
      { ...clientMappingKey(client.client_id), ...mapping },
    ]);
  }

  async count(tenantId: string): Promise<number> {
    const { Item } = await this.table.client.send(
      new GetCommand({ TableName: this.table.tableName, Key: apiClientCountKey(tenantId), ConsistentRead: true }),
    );
    const count = Item?.[API_CLIENT_FIELD.count];
    return typeof count === 'number' ? count : 0;
  }

  async list(tenantId: string): Promise<ApiClient[]> {
    const items = await queryAll(this.table, {
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': ATTR.pk, '#sk': ATTR.sk },
      ExpressionAttributeValues: { ':pk': tenantPk(tenantId), ':prefix': apiClientPrefix() },
      ConsistentRead: true,
    });
    return items
      .map((item) => withoutKeys(item) as unknown as ApiClient)
      .sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
  }

  async get(tenantId: string, id: string): Promise<ApiClient | null> {
    const { Item } = await this.table.client.send(
      new GetCommand({ TableName: this.table.tableName, Key: apiClientKey(tenantId, id), ConsistentRead: true }),
    );
    return Item ? (withoutKeys(Item) as unknown as ApiClient) : null;
  }

  async revoke(tenantId: string, id: string, revokedAt: string): Promise<boolean> {
    const client = await this.get(tenantId, id);
    if (!client) return false;
    return deleteCounted(this.table, { key: apiClientCountKey(tenantId), attribute: API_CLIENT_FIELD.count }, apiClientKey(tenantId, id), [
      {
        Update: {
          TableName: this.table.tableName,
          Key: clientMappingKey(client.client_id),
          UpdateExpression: 'SET #status = :revoked, #revokedAt = :at, #ttl = :ttl',
          ExpressionAttributeNames: { '#status': API_CLIENT_FIELD.status, '#revokedAt': API_CLIENT_FIELD.revokedAt, '#ttl': ATTR.ttl },
          ExpressionAttributeValues: {
            ':revoked': 'revoked',
            ':at': revokedAt,
            ':ttl': Math.floor(Date.parse(revokedAt) / 1000) + REVOKED_MAPPING_TTL_SECONDS,
          },
        },
      },
    ]);
  }

  async lookup(clientId: string): Promise<ClientMapping | null> {
    const { Item } = await this.table.client.send(
      new GetCommand({ TableName: this.table.tableName, Key: clientMappingKey(clientId), ConsistentRead: true }),
    );
    return Item ? (withoutKeys(Item) as unknown as ClientMapping) : null;
  }
}
