import { GetCommand, TransactWriteCommand, UpdateCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { counterDelta, mrrChangedAt, mrrContribution } from '../../domain/overview';
import { REVENUE_EVENT } from '../../domain/revenue';
import { billingEventItem } from './billing-events';
import { reconcile } from '../../domain/timeline';
import { isLive } from '../../domain/subscription';
import { liveClock, type Clock } from '../../platform/clock';
import { Conflict } from '../../app/errors';
import type { SaveResult, StoredSubscription, SubscriptionStore } from '../../app/ports/subscriptions';
import type { TableRef } from './client';
import { ATTR, FIELD, PROFILE_FIELD, profileKey, statsCounter, statsKey, subscriptionKey, subscriptionWatchIndex } from './keys';
import { cancellationCodes, ifAbsent, isConditionFailure } from './conditions';
import { TimelineRepository } from './timelines';
import { entitlementSubscriptionWrite } from './entitlements';
import { directorySubscriptionWrites } from './directory';

/** On the subscription item: when it went past due (kept while it stays so), for the dunning grace period. */
const PAST_DUE_SINCE = 'past_due_since';

/** A conditional write or transaction that lost to another writer. */
const isLostRace = (error: unknown): boolean => isConditionFailure(error) || cancellationCodes(error) !== null;

const MAX_ATTEMPTS = 5;

export class SubscriptionRepository implements SubscriptionStore {
  private readonly timelines: TimelineRepository;

  constructor(
    private readonly table: TableRef,
    private readonly clock: Clock = liveClock,
  ) {
    this.timelines = new TimelineRepository(table);
  }

  async get(tenantId: string, subscriptionId: string): Promise<StoredSubscription | null> {
    const item = await this.raw(tenantId, subscriptionId);
    if (!item) return null;
    const { [ATTR.pk]: _pk, [ATTR.sk]: _sk, [ATTR.gsi2pk]: _g1, [ATTR.gsi2sk]: _g2, [FIELD.syncedAt]: synced, [PAST_DUE_SINCE]: _pd, ...sub } = item;
    return { ...(sub as unknown as StoredSubscription), ...(typeof synced === 'number' ? { synced_at: synced } : {}) };
  }

  /**
   * Writes the copy unless a newer one is stored: `syncedAt` is when the data was read from
   * Stripe, so an older read (a slow request, a late webhook) never overwrites a newer one.
   * In the same transaction it moves the admin overview's counters by the difference between
   * the old and the new copy, so the figures stay exact without ever scanning, and it brings
   * the tenant's plan timeline up to date (`changeAt`: the instant our own code changed the
   * plan), so usage is always attributed to the plan in force.
   */
  async save(sub: StoredSubscription, syncedAt: Date, options: { changeAt?: Date } = {}): Promise<SaveResult> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
      const old = await this.raw(sub.tenant_id, sub.id);
      const oldSynced = typeof old?.[FIELD.syncedAt] === 'number' ? (old[FIELD.syncedAt] as number) : null;
      if (oldSynced !== null && oldSynced > syncedAt.getTime()) return { written: false, timeline: null };
      const stored = await this.timelines.get(sub.tenant_id);
      const after = reconcile(stored.segments, sub, options.changeAt, syncedAt.getTime());
      const timelineChanged = JSON.stringify(after) !== JSON.stringify(stored.segments);
      const before = old ? (old as unknown as StoredSubscription) : null;
      const delta: Record<string, number> = { ...counterDelta(before, sub) };
      const mrr = { from: mrrContribution(before), to: mrrContribution(sub) };
      const watch = subscriptionWatchIndex(sub.status, sub.tenant_id, sub.trial_end);
      const oldPastDue = old?.status === 'past_due' && typeof old[PAST_DUE_SINCE] === 'string' ? old[PAST_DUE_SINCE] : null;
      const pastDueSince = sub.status === 'past_due' ? (oldPastDue ?? this.clock.now().toISOString()) : null;
      // The entitlement item follows the tenant's current subscription, not a late read of an earlier one.
      const current = isLive(sub.status) || stored.currentSubscriptionId === null || stored.currentSubscriptionId === sub.id;
      const items: NonNullable<TransactWriteCommandInput['TransactItems']> = [
        {
          Put: {
            TableName: this.table.tableName,
            Item: {
              ...subscriptionKey(sub.tenant_id, sub.id),
              ...sub,
              ...(watch ?? {}),
              ...(pastDueSince ? { [PAST_DUE_SINCE]: pastDueSince } : {}),
              [FIELD.syncedAt]: syncedAt.getTime(),
            },
            // Unchanged since we read it: a racing writer makes us read again.
            ...(oldSynced === null
              ? ifAbsent()
              : { ConditionExpression: '#synced = :old', ExpressionAttributeNames: { '#synced': FIELD.syncedAt }, ExpressionAttributeValues: { ':old': oldSynced } }),
          },
        },
      ];
      items.push(timelineChanged ? this.timelines.write(sub.tenant_id, after, stored.version) : this.timelines.check(sub.tenant_id, stored.version));
      items.push(entitlementSubscriptionWrite(this.table, sub.tenant_id, current ? { stored: sub, pastDueSince } : null, after, syncedAt.getTime()));
      if (current) items.push(...directorySubscriptionWrites(this.table, sub.tenant_id, sub));
      if (mrr.from !== mrr.to) {
        // The revenue report's fact, written with the counters it explains: once per change.
        const at = mrrChangedAt(sub, mrr.to, options.changeAt, this.clock.now());
        items.push({
          Put: {
            TableName: this.table.tableName,
            Item: billingEventItem(sub.tenant_id, {
              type: REVENUE_EVENT.mrrChanged,
              actor: { type: 'system' },
              occurredAt: at,
              data: { currency: sub.currency, from: mrr.from, to: mrr.to, subscription_id: sub.id, plan_id: sub.plan_id, billing_cycle: sub.billing_cycle, status: sub.status },
            }),
            ...ifAbsent(),
          },
        });
        const month = `mrr_changes#${at.toISOString().slice(0, 7)}`;
        delta[month] = (delta[month] ?? 0) + 1;
      }
      const names = Object.keys(delta);
      if (names.length > 0) {
        items.push({
          Update: {
            TableName: this.table.tableName,
            Key: statsKey(),
            UpdateExpression: `ADD ${names.map((_, i) => `#c${i} :c${i}`).join(', ')}`,
            ExpressionAttributeNames: Object.fromEntries(names.map((n, i) => [`#c${i}`, statsCounter(n)])),
            ExpressionAttributeValues: Object.fromEntries(names.map((n, i) => [`:c${i}`, delta[n]])),
          },
        });
      }
      try {
        await this.table.client.send(new TransactWriteCommand({ TransactItems: items }));
        return { written: true, timeline: { before: stored.segments, after } };
      } catch (error) {
        if (!isLostRace(error)) throw error;
      }
    }
    throw new Error(`subscription ${sub.id} kept changing while being saved`);
  }

  /**
   * Makes `sub` the tenant's current subscription and counts the create. The count must still
   * be `expectedCount`, so two concurrent creates cannot both succeed.
   */
  async recordCreated(sub: StoredSubscription, input: { expectedCount: number; trialUsed: boolean }): Promise<void> {
    try {
      await this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: profileKey(sub.tenant_id),
          UpdateExpression: 'SET #tenant = :t, #current = :s, #currency = :c, #created = :next, #trial = :trial',
          ConditionExpression: '(attribute_not_exists(#created) AND :expected = :zero) OR #created = :expected OR #current = :s',
          ExpressionAttributeNames: {
            '#tenant': FIELD.tenantId,
            '#current': PROFILE_FIELD.currentSubscriptionId,
            '#currency': PROFILE_FIELD.currency,
            '#created': PROFILE_FIELD.subscriptionsCreated,
            '#trial': PROFILE_FIELD.trialUsed,
          },
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
      if (isLostRace(error)) throw new Conflict('Another subscription was created for this tenant at the same time');
      throw error;
    }
  }

  private async raw(tenantId: string, subscriptionId: string): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.table.client.send(
      new GetCommand({ TableName: this.table.tableName, Key: subscriptionKey(tenantId, subscriptionId), ConsistentRead: true }),
    );
    return Item;
  }
}
