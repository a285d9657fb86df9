import { QueryCommand, UpdateCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { EntitlementFacts, UnpaidInvoice } from '../../domain/entitlements';
import { emptyTally, mergeTallies, type Tally } from '../../domain/metering';
import { isCurrency, type Currency } from '../../domain/money';
import { RESOURCES, type Resource } from '../../domain/resources';
import type { PlanSegment, Timeline } from '../../domain/timeline';
import type { Invoice } from '../../app/ports/invoices';
import type { Announcement, EntitlementStore, StoredEntitlements } from '../../app/ports/entitlements';
import type { StoredSubscription } from '../../app/ports/subscriptions';
import type { TableRef } from './client';
import { queryFirst } from './query';
import { isConditionFailure } from './conditions';
import { ExactQueryCommand, exactInteger, exactNumber } from './exact-numbers';
import { ATTR, bucketParts, ENTITLEMENT_FIELD as F, entitlementKey, entitlementReadPrefix, entitlementWatchIndex, FIELD, INDEX, unpaidInvoiceOf, usageAttr, WATCH } from './keys';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

const ANNOUNCED_PUBLISHED = 'announced_published';

const parseJson = <T>(value: unknown): T | null => {
  if (typeof value !== 'string') return null;
  try {
    return JSON.parse(value) as T;
  } catch {
    // Written by this module only; an unreadable value reads as absent rather than failing every read.
    return null;
  }
};


/** What the entitlement item keeps of a subscription: the timeline's facts and when it went past due. */
type SubscriptionFactsItem = NonNullable<EntitlementFacts['subscription']>;

const subscriptionFacts = (sub: StoredSubscription, pastDueSince: string | null): SubscriptionFactsItem => ({
  id: sub.id,
  plan_id: sub.plan_id,
  billing_cycle: sub.billing_cycle,
  currency: sub.currency,
  status: sub.status,
  created_at: sub.created_at,
  trial_end: sub.trial_end,
  current_period_start: sub.current_period_start,
  current_period_end: sub.current_period_end,
  billing_cycle_anchor: sub.billing_cycle_anchor,
  cancel_at_period_end: sub.cancel_at_period_end,
  ended_at: sub.ended_at,
  pending_change: sub.pending_change,
  past_due_since: pastDueSince,
});

/**
 * The subscription writer's part of its transaction: the current subscription's facts (or
 * none: a late read of an earlier subscription changes only the timeline) and the timeline.
 */
export const entitlementSubscriptionWrite = (
  table: TableRef,
  tenantId: string,
  sub: { readonly stored: StoredSubscription; readonly pastDueSince: string | null } | null,
  timeline: Timeline,
  syncedAt: number,
): TransactItem => ({
  Update: {
    TableName: table.tableName,
    Key: entitlementKey(tenantId),
    UpdateExpression: `SET #timeline = :timeline, #tenant = :tenant${sub ? ', #sub = :sub' : ''}`,
    ExpressionAttributeNames: { '#timeline': F.timeline, '#tenant': FIELD.tenantId, ...(sub ? { '#sub': F.subscription } : {}) },
    ExpressionAttributeValues: {
      ':timeline': JSON.stringify(timeline),
      ':tenant': tenantId,
      ...(sub ? { ':sub': JSON.stringify({ ...subscriptionFacts(sub.stored, sub.pastDueSince), synced_at: syncedAt }) } : {}),
    },
  },
});

/** The timeline writer's part of its transaction (a cut at an upgrade or an immediate cancel). */
export const entitlementTimelineWrite = (table: TableRef, tenantId: string, timeline: Timeline): TransactItem => ({
  Update: {
    TableName: table.tableName,
    Key: entitlementKey(tenantId),
    UpdateExpression: 'SET #timeline = :timeline, #tenant = :tenant',
    ExpressionAttributeNames: { '#timeline': F.timeline, '#tenant': FIELD.tenantId },
    ExpressionAttributeValues: { ':timeline': JSON.stringify(timeline), ':tenant': tenantId },
  },
});

/** Whether an invoice counts as unpaid for access: finalized, owed, and a payment attempt failed. */
const isUnpaid = (invoice: Invoice): boolean => invoice.status === 'open' && invoice.amount_due > 0 && invoice.attempt_count > 0;

/** The invoice mirror's part of its transaction: an unpaid invoice is recorded (once), a settled one removed. */
export const entitlementInvoiceWrite = (table: TableRef, invoice: Invoice, seenAt: Date): TransactItem => {
  const unpaid: UnpaidInvoice = {
    id: invoice.id,
    number: invoice.number,
    hosted_invoice_url: invoice.hosted_invoice_url,
    billing_reason: invoice.billing_reason,
    amount_due: invoice.amount_due,
    since: seenAt.toISOString(),
  };
  return {
    Update: {
      TableName: table.tableName,
      Key: entitlementKey(invoice.tenant_id),
      UpdateExpression: isUnpaid(invoice) ? 'SET #i = if_not_exists(#i, :i), #tenant = :tenant' : 'REMOVE #i SET #tenant = :tenant',
      ExpressionAttributeNames: { '#i': F.unpaid(invoice.id), '#tenant': FIELD.tenantId },
      ExpressionAttributeValues: { ':tenant': invoice.tenant_id, ...(isUnpaid(invoice) ? { ':i': JSON.stringify(unpaid) } : {}) },
    },
  };
};

/** A usage period's tally from its day buckets: counters summed, gauge peaks the highest. */
const periodTallies = (buckets: readonly Record<string, unknown>[]): Map<string, Tally> => {
  const tallies = new Map<string, Tally>();
  for (const item of buckets) {
    const { periodStart } = bucketParts(String(item[ATTR.sk]));
    const counters: Partial<Record<Resource, bigint>> = {};
    const peaks: Partial<Record<Resource, number>> = {};
    for (const r of RESOURCES) {
      const c = exactInteger(item[usageAttr.counter(r)]);
      const p = exactNumber(item[usageAttr.peak(r)]);
      if (c !== undefined) counters[r] = c;
      if (p !== undefined) peaks[r] = p;
    }
    tallies.set(periodStart, mergeTallies(tallies.get(periodStart) ?? emptyTally(), { ...emptyTally(), counters, peaks }));
  }
  return tallies;
};

/** The facts as read: the entitlement item (if any) and the usage buckets that came with it. */
const factsOf = (item: Record<string, unknown> | undefined, buckets: readonly Record<string, unknown>[]): StoredEntitlements => {
  const unpaid: UnpaidInvoice[] = [];
  for (const [name, value] of Object.entries(item ?? {})) {
    if (unpaidInvoiceOf(name) === null) continue;
    const invoice = parseJson<UnpaidInvoice>(value);
    if (invoice) unpaid.push(invoice);
  }
  const capAmount = exactInteger(item?.[F.spendCap]);
  const capCurrency = item?.[F.spendCapCurrency];
  const announced = parseJson<Omit<Announcement, 'published' | 'seq'>>(item?.[F.announced]);
  const seq = exactNumber(item?.[F.announcedSeq]);
  const watchKey = item?.[ATTR.gsi2pk] === WATCH.entitlements ? String(item[ATTR.gsi2sk] ?? '') : '';
  return {
    exists: item !== undefined || buckets.length > 0,
    facts: {
      subscription: parseJson<SubscriptionFactsItem>(item?.[F.subscription]),
      timeline: parseJson<PlanSegment[]>(item?.[F.timeline]) ?? [],
      usage: periodTallies(buckets),
      spend_cap: capAmount !== undefined && typeof capCurrency === 'string' && isCurrency(capCurrency) ? { amount: capAmount, currency: capCurrency } : null,
      unpaid: unpaid.sort((a, b) => a.since.localeCompare(b.since)),
    },
    announced: announced && seq !== undefined ? { ...announced, seq, published: item?.[ANNOUNCED_PUBLISHED] === true } : null,
    watch: watchKey ? watchKey.slice(0, watchKey.lastIndexOf('#')) : null,
  };
};

/**
 * Day buckets read with the entitlement item, newest first: enough for the latest usage period
 * whole (a month, or a trial of up to 30 days, is at most 31 days) and then some.
 */
const BUCKETS_READ = 40;

/**
 * The entitlement item (`keys.entitlementKey`): read in one request; the spend cap and the
 * announcements written here; the rest by the writers of its inputs, through the transaction
 * parts above.
 */
export class EntitlementRepository implements EntitlementStore {
  constructor(private readonly table: TableRef) {}

  /** One Query, newest first: the entitlement item, then the latest usage periods' day buckets. */
  async get(tenantId: string): Promise<StoredEntitlements> {
    const key = entitlementKey(tenantId);
    const { Items = [] } = await this.table.client.send(
      new ExactQueryCommand({
        TableName: this.table.tableName,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames: { '#pk': ATTR.pk, '#sk': ATTR.sk },
        ExpressionAttributeValues: { ':pk': key.PK, ':prefix': entitlementReadPrefix() },
        ScanIndexForward: false,
        Limit: BUCKETS_READ + 1,
        ConsistentRead: true,
      }),
    );
    const item = Items.find((i) => i[ATTR.sk] === key.SK);
    return factsOf(item, Items.filter((i) => i[ATTR.sk] !== key.SK));
  }

  async setSpendCap(tenantId: string, cap: { amount: bigint; currency: Currency } | null): Promise<void> {
    await this.table.client.send(
      new UpdateCommand({
        TableName: this.table.tableName,
        Key: entitlementKey(tenantId),
        UpdateExpression: cap ? 'SET #cap = :cap, #cur = :cur, #tenant = :tenant' : 'REMOVE #cap, #cur SET #tenant = :tenant',
        ExpressionAttributeNames: { '#cap': F.spendCap, '#cur': F.spendCapCurrency, '#tenant': FIELD.tenantId },
        ExpressionAttributeValues: { ':tenant': tenantId, ...(cap ? { ':cap': cap.amount, ':cur': cap.currency } : {}) },
      }),
    );
  }

  async claimAnnouncement(tenantId: string, expectedSeq: number, next: Announcement): Promise<boolean> {
    const { published: _published, seq, ...announced } = next;
    try {
      await this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: entitlementKey(tenantId),
          UpdateExpression: 'SET #a = :a, #seq = :seq, #pub = :false, #tenant = :tenant',
          ConditionExpression: expectedSeq === 0 ? 'attribute_not_exists(#seq)' : '#seq = :expected',
          ExpressionAttributeNames: { '#a': F.announced, '#seq': F.announcedSeq, '#pub': ANNOUNCED_PUBLISHED, '#tenant': FIELD.tenantId },
          ExpressionAttributeValues: {
            ':a': JSON.stringify(announced),
            ':seq': seq,
            ':false': false,
            ':tenant': tenantId,
            ...(expectedSeq === 0 ? {} : { ':expected': expectedSeq }),
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async markPublished(tenantId: string, seq: number): Promise<void> {
    try {
      await this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: entitlementKey(tenantId),
          UpdateExpression: 'SET #pub = :true',
          ConditionExpression: '#seq = :seq',
          ExpressionAttributeNames: { '#pub': ANNOUNCED_PUBLISHED, '#seq': F.announcedSeq },
          ExpressionAttributeValues: { ':true': true, ':seq': seq },
        }),
      );
    } catch (error) {
      // A newer announcement was claimed meanwhile: it carries its own flag.
      if (!isConditionFailure(error)) throw error;
    }
  }

  async setWatch(tenantId: string, at: string | null): Promise<void> {
    const index = at ? entitlementWatchIndex(tenantId, at) : null;
    await this.table.client.send(
      new UpdateCommand({
        TableName: this.table.tableName,
        Key: entitlementKey(tenantId),
        UpdateExpression: index ? 'SET #g2pk = :pk, #g2sk = :sk, #tenant = :tenant' : 'REMOVE #g2pk, #g2sk SET #tenant = :tenant',
        ExpressionAttributeNames: { '#g2pk': ATTR.gsi2pk, '#g2sk': ATTR.gsi2sk, '#tenant': FIELD.tenantId },
        ExpressionAttributeValues: { ':tenant': tenantId, ...(index ? { ':pk': index.GSI2PK, ':sk': index.GSI2SK } : {}) },
      }),
    );
  }

  /** The earliest instant an entitlement answer changes with time alone, or null: when the hourly run has announcing to do. */
  async earliestWatch(): Promise<Date | null> {
    const first = await queryFirst(this.table, {
      IndexName: INDEX.gsi2,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': ATTR.gsi2pk },
      ExpressionAttributeValues: { ':pk': WATCH.entitlements },
    });
    const key = first?.[ATTR.gsi2sk];
    return typeof key === 'string' ? new Date(key.slice(0, key.lastIndexOf('#'))) : null;
  }

  async due(now: Date, limit: number): Promise<string[]> {
    const { Items } = await this.table.client.send(
      new QueryCommand({
        TableName: this.table.tableName,
        IndexName: INDEX.gsi2,
        KeyConditionExpression: '#pk = :pk AND #sk <= :now',
        ExpressionAttributeNames: { '#pk': ATTR.gsi2pk, '#sk': ATTR.gsi2sk },
        ExpressionAttributeValues: { ':pk': WATCH.entitlements, ':now': `${now.toISOString()}\uffff` },
        Limit: limit,
      }),
    );
    return (Items ?? []).map((i) => String(i[FIELD.tenantId]));
  }
}
