import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { directoryDetailsWrites } from './directory';
import type { BillingDetails } from '../../domain/billing-details';
import { emptyProfile, type TenantProfile, type TenantStore } from '../../app/ports/tenants';
import { timelineOf } from './timelines';
import type { TableRef } from './client';
import { ATTR, FIELD, INDEX, PROFILE_FIELD, profileByCustomer, profileKey } from './keys';
import { ConditionFailed, conditionalWrite } from './conditions';
import { queryFirst } from './query';


export class TenantRepository implements TenantStore {
  constructor(private readonly table: TableRef) {}

  async get(tenantId: string): Promise<TenantProfile> {
    const { Item } = await this.table.client.send(
      new GetCommand({ TableName: this.table.tableName, Key: profileKey(tenantId), ConsistentRead: true }),
    );
    return Item ? { ...emptyProfile(tenantId), ...(Item as Partial<TenantProfile>), timeline: timelineOf(Item).segments } : emptyProfile(tenantId);
  }

  /** Records the Stripe customer once; a concurrent second writer keeps the first id. */
  async setCustomer(tenantId: string, customerId: string): Promise<string> {
    try {
      await conditionalWrite(this.table, {
        Update: {
          Key: profileKey(tenantId),
          UpdateExpression: 'SET #tenant = :t, #customer = :c, #g1pk = :g1pk, #g1sk = :g1sk',
          ConditionExpression: 'attribute_not_exists(#customer) OR #customer = :c',
          ExpressionAttributeNames: { '#tenant': FIELD.tenantId, '#customer': PROFILE_FIELD.stripeCustomerId, '#g1pk': ATTR.gsi1pk, '#g1sk': ATTR.gsi1sk },
          ExpressionAttributeValues: {
            ':t': tenantId,
            ':c': customerId,
            ':g1pk': profileByCustomer(customerId).GSI1PK,
            ':g1sk': profileByCustomer(customerId).GSI1SK,
          },
        },
      });
      return customerId;
    } catch (error) {
      // Another writer recorded its customer first: the profile as it was names it.
      const existing = error instanceof ConditionFailed ? error.item?.[PROFILE_FIELD.stripeCustomerId] : undefined;
      if (typeof existing === 'string' && existing) return existing;
      throw error;
    }
  }

  /** The tenant that owns a Stripe customer, or null. */
  async findByCustomer(customerId: string): Promise<string | null> {
    const key = profileByCustomer(customerId);
    const profile = await queryFirst(this.table, {
      IndexName: INDEX.gsi1,
      KeyConditionExpression: '#pk = :pk AND #sk = :sk',
      ExpressionAttributeNames: { '#pk': ATTR.gsi1pk, '#sk': ATTR.gsi1sk },
      ExpressionAttributeValues: { ':pk': key.GSI1PK, ':sk': key.GSI1SK },
    });
    const tenant = profile?.[FIELD.tenantId];
    return typeof tenant === 'string' ? tenant : null;
  }

  /** With, in the same transaction, the admin directory's entries that find the tenant by name and email. */
  async setBillingDetails(tenantId: string, details: BillingDetails): Promise<void> {
    await this.table.client.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: this.table.tableName,
              Key: profileKey(tenantId),
              UpdateExpression: 'SET #tenant = :t, #details = :d',
              ExpressionAttributeNames: { '#tenant': FIELD.tenantId, '#details': PROFILE_FIELD.billingDetails },
              ExpressionAttributeValues: { ':t': tenantId, ':d': details },
            },
          },
          ...directoryDetailsWrites(this.table, tenantId, details),
        ],
      }),
    );
  }
}
