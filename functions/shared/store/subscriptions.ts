import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Subscription } from '../domain/subscription';
import { Conflict } from '../errors';
import type { TableRef } from './client';
import { FIELD, profileKey, subscriptionKey } from './keys';

/** Our copy of a Stripe subscription, plus the Stripe ids we need to change it. */
export interface StoredSubscription extends Subscription {
  readonly stripe_customer_id: string;
  readonly stripe_price_id: string;
  readonly unit_amount: number;
  readonly billing_cycle_anchor: string;
}

const isConditionFailure = (error: unknown): boolean =>
  error instanceof Error && (error.name === 'ConditionalCheckFailedException' || error.name === 'TransactionCanceledException');

export class SubscriptionRepository {
  constructor(private readonly table: TableRef) {}

  async get(tenantId: string, subscriptionId: string): Promise<StoredSubscription | null> {
    const { Item } = await this.table.client.send(
      new GetCommand({ TableName: this.table.tableName, Key: subscriptionKey(tenantId, subscriptionId), ConsistentRead: true }),
    );
    if (!Item) return null;
    const { PK: _pk, SK: _sk, [FIELD.syncedAt]: _synced, ...sub } = Item;
    return sub as StoredSubscription;
  }

  /**
   * Writes the copy unless a newer one is stored: `syncedAt` is when the data was read from
   * Stripe, so an older read (a slow request, a late webhook) never overwrites a newer one.
   * Returns whether it wrote.
   */
  async save(sub: StoredSubscription, syncedAt: Date): Promise<boolean> {
    try {
      await this.table.client.send(
        new PutCommand({
          TableName: this.table.tableName,
          Item: { ...subscriptionKey(sub.tenant_id, sub.id), ...sub, [FIELD.syncedAt]: syncedAt.getTime() },
          ConditionExpression: 'attribute_not_exists(#synced) OR #synced <= :synced',
          ExpressionAttributeNames: { '#synced': FIELD.syncedAt },
          ExpressionAttributeValues: { ':synced': syncedAt.getTime() },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /**
   * Makes `sub` the tenant's current subscription and counts the create. The count must still
   * be `expectedCount`, so two concurrent creates cannot both succeed.
   */
  async recordCreated(
    sub: StoredSubscription,
    input: { expectedCount: number; trialUsed: boolean },
  ): Promise<void> {
    try {
      await this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: profileKey(sub.tenant_id),
          UpdateExpression:
            'SET tenant_id = :t, current_subscription_id = :s, currency = :c, subscriptions_created = :next, trial_used = :trial',
          ConditionExpression:
            '(attribute_not_exists(subscriptions_created) AND :expected = :zero) OR subscriptions_created = :expected OR current_subscription_id = :s',
          ExpressionAttributeValues: {
            ':t': sub.tenant_id,
            ':s': sub.id,
            ':c': sub.currency,
            ':next': input.expectedCount + 1,
            ':expected': input.expectedCount,
            ':zero': 0,
            ':trial': input.trialUsed,
          },
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) throw new Conflict('Another subscription was created for this tenant at the same time');
      throw error;
    }
  }
}
