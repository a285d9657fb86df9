import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { TenantProfile, TenantStore } from '../../app/ports/tenants';
import { timelineOf } from './timelines';
import type { TableRef } from './client';
import { ATTR, profileByCustomer, profileKey } from './keys';
import { isConditionFailure } from './conditions';

const empty = (tenantId: string): TenantProfile => ({
  tenant_id: tenantId,
  stripe_customer_id: null,
  currency: null,
  trial_used: false,
  subscriptions_created: 0,
  current_subscription_id: null,
  timeline: [],
});

export class TenantRepository implements TenantStore {
  constructor(private readonly table: TableRef) {}

  async get(tenantId: string): Promise<TenantProfile> {
    const { Item } = await this.table.client.send(
      new GetCommand({ TableName: this.table.tableName, Key: profileKey(tenantId), ConsistentRead: true }),
    );
    return Item ? { ...empty(tenantId), ...(Item as Partial<TenantProfile>), timeline: timelineOf(Item).segments } : empty(tenantId);
  }

  /** Records the Stripe customer once; a concurrent second writer keeps the first id. */
  async setCustomer(tenantId: string, customerId: string): Promise<string> {
    try {
      await this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: profileKey(tenantId),
          UpdateExpression: 'SET tenant_id = :t, stripe_customer_id = :c, #g1pk = :g1pk, #g1sk = :g1sk',
          ConditionExpression: 'attribute_not_exists(stripe_customer_id) OR stripe_customer_id = :c',
          ExpressionAttributeNames: { '#g1pk': ATTR.gsi1pk, '#g1sk': ATTR.gsi1sk },
          ExpressionAttributeValues: {
            ':t': tenantId,
            ':c': customerId,
            ':g1pk': profileByCustomer(customerId).GSI1PK,
            ':g1sk': profileByCustomer(customerId).GSI1SK,
          },
        }),
      );
      return customerId;
    } catch (error) {
      if (isConditionFailure(error)) {
        const existing = (await this.get(tenantId)).stripe_customer_id;
        if (existing) return existing;
      }
      throw error;
    }
  }

  /** The tenant that owns a Stripe customer, or null. */
  async findByCustomer(customerId: string): Promise<string | null> {
    const key = profileByCustomer(customerId);
    const { Items } = await this.table.client.send(
      new QueryCommand({
        TableName: this.table.tableName,
        IndexName: 'GSI1',
        KeyConditionExpression: '#pk = :pk AND #sk = :sk',
        ExpressionAttributeNames: { '#pk': ATTR.gsi1pk, '#sk': ATTR.gsi1sk },
        ExpressionAttributeValues: { ':pk': key.GSI1PK, ':sk': key.GSI1SK },
        Limit: 1,
      }),
    );
    const tenant = Items?.[0]?.tenant_id;
    return typeof tenant === 'string' ? tenant : null;
  }
}
