import { GetCommand, QueryCommand, UpdateCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { EntitlementFacts, UnpaidInvoice } from '../../domain/entitlements';
import { emptyTally, type Tally } from '../../domain/metering';
import { isCurrency, type Currency } from '../../domain/money';
import { RESOURCES, type Resource } from '../../domain/resources';
import type { PlanSegment, Timeline } from '../../domain/timeline';
import type { Invoice } from '../../app/ports/invoices';
import type { Announcement, EntitlementStore, StoredEntitlements } from '../../app/ports/entitlements';
import type { StoredSubscription } from '../../app/ports/subscriptions';
import type { TableRef } from './client';
import { isConditionFailure } from './conditions';
import { ExactGetCommand, exactInteger, exactNumber } from './exact-numbers';
import { ATTR, ENTITLEMENT_FIELD as F, entitlementAttrParts, entitlementKey, entitlementWatchIndex, FIELD, INDEX, WATCH } from './keys';

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

const isResource = (value: string): value is Resource => (RESOURCES as readonly string[]).includes(value);

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

/** One usage period's change, for the usage commit. */
export interface EntitlementUsageDelta {
  readonly periodStart: string;
  readonly counters: Partial<Record<Resource, bigint>>;
  readonly peaks: Partial<Record<Resource, number>>;
  /** The period peaks stored now (read with the buckets): raised only above them, under a guard. */
  readonly storedPeaks: Partial<Record<Resource, number>>;
}

/**
 * The usage commit's part of its transaction: counters ADD, gauge peaks SET only upward,
 * guarded by the value read before (a racing commit makes the transaction retry). Null when
 * nothing changes.
 */
export const entitlementUsageWrite = (table: TableRef, tenantId: string, deltas: readonly EntitlementUsageDelta[]): TransactItem | null => {
  const names: Record<string, string> = { '#tenant': FIELD.tenantId };
  const values: Record<string, unknown> = { ':tenant': tenantId };
  const adds: string[] = [];
  const sets: string[] = ['#tenant = :tenant'];
  const guards: string[] = [];
  let n = 0;
  for (const d of deltas) {
    for (const [r, v] of Object.entries(d.counters) as [Resource, bigint][]) {
      names[`#e${n}`] = F.counter(d.periodStart, r);
      values[`:e${n}`] = v;
      adds.push(`#e${n} :e${n}`);
      n += 1;
    }
    for (const [r, v] of Object.entries(d.peaks) as [Resource, number][]) {
      const stored = d.storedPeaks[r];
      if (stored !== undefined && stored >= v) continue;
      names[`#e${n}`] = F.peak(d.periodStart, r);
      values[`:e${n}`] = v;
      sets.push(`#e${n} = :e${n}`);
      guards.push(stored === undefined ? `attribute_not_exists(#e${n})` : `#e${n} = :s${n}`);
      if (stored !== undefined) values[`:s${n}`] = stored;
      n += 1;
    }
  }
  if (adds.length === 0 && sets.length === 1) return null;
  return {
    Update: {
      TableName: table.tableName,
      Key: entitlementKey(tenantId),
      UpdateExpression: `SET ${sets.join(', ')}${adds.length ? ` ADD ${adds.join(', ')}` : ''}`,
      ...(guards.length ? { ConditionExpression: guards.join(' AND ') } : {}),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
  };
};

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

/**
 * Removes the usage of periods that started before `before` from the entitlement item, so it
 * stays small (every usage commit writes it; billing reads the buckets, never this).
 */
export const pruneEntitlementUsage = async (table: TableRef, tenantId: string, before: string): Promise<void> => {
  const { Item } = await table.client.send(new GetCommand({ TableName: table.tableName, Key: entitlementKey(tenantId), ConsistentRead: true }));
  const old = Object.keys(Item ?? {}).filter((name) => {
    const parts = entitlementAttrParts(name);
    return parts !== null && parts.kind !== 'unpaid' && parts.periodStart < before;
  });
  // An update expression takes up to 4 KB: a few dozen names at a time.
  for (let i = 0; i < old.length; i += 40) {
    const chunk = old.slice(i, i + 40);
    await table.client.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: entitlementKey(tenantId),
        UpdateExpression: `REMOVE ${chunk.map((_, j) => `#r${j}`).join(', ')}`,
        ExpressionAttributeNames: Object.fromEntries(chunk.map((name, j) => [`#r${j}`, name])),
      }),
    );
  }
};

/** The facts of an item as read (exact numbers). */
const factsOf = (item: Record<string, unknown> | undefined): StoredEntitlements => {
  const usage = new Map<string, { counters: Partial<Record<Resource, bigint>>; peaks: Partial<Record<Resource, number>> }>();
  const unpaid: UnpaidInvoice[] = [];
  for (const [name, value] of Object.entries(item ?? {})) {
    const parts = entitlementAttrParts(name);
    if (!parts) continue;
    if (parts.kind === 'unpaid') {
      const invoice = parseJson<UnpaidInvoice>(value);
      if (invoice) unpaid.push(invoice);
      continue;
    }
    if (!isResource(parts.resource)) continue;
    const period = usage.get(parts.periodStart) ?? { counters: {}, peaks: {} };
    if (parts.kind === 'counter') {
      const v = exactInteger(value);
      if (v !== undefined) period.counters[parts.resource] = v;
    } else {
      const v = exactNumber(value);
      if (v !== undefined) period.peaks[parts.resource] = v;
    }
    usage.set(parts.periodStart, period);
  }
  const tallies = new Map<string, Tally>([...usage].map(([start, t]) => [start, { ...emptyTally(), counters: t.counters, peaks: t.peaks }]));
  const capAmount = exactInteger(item?.[F.spendCap]);
  const capCurrency = item?.[F.spendCapCurrency];
  const announced = parseJson<Omit<Announcement, 'published'>>(item?.[F.announced]);
  const seq = exactNumber(item?.[F.announcedSeq]);
  const watchKey = item?.[ATTR.gsi2pk] === WATCH.entitlements ? String(item[ATTR.gsi2sk] ?? '') : '';
  return {
    exists: item !== undefined,
    facts: {
      subscription: parseJson<SubscriptionFactsItem>(item?.[F.subscription]),
      timeline: parseJson<PlanSegment[]>(item?.[F.timeline]) ?? [],
      usage: tallies,
      spend_cap: capAmount !== undefined && typeof capCurrency === 'string' && isCurrency(capCurrency) ? { amount: capAmount, currency: capCurrency } : null,
      unpaid: unpaid.sort((a, b) => a.since.localeCompare(b.since)),
    },
    announced: announced && seq !== undefined ? { ...announced, seq, published: item?.[ANNOUNCED_PUBLISHED] === true } : null,
    watch: watchKey ? watchKey.slice(0, watchKey.lastIndexOf('#')) : null,
  };
};

/**
 * The entitlement item (`keys.entitlementKey`): read in one request; the spend cap and the
 * announcements written here; the rest by the writers of its inputs, through the transaction
 * parts above.
 */
export class EntitlementRepository implements EntitlementStore {
  constructor(private readonly table: TableRef) {}

  async get(tenantId: string): Promise<StoredEntitlements> {
    const { Item } = await this.table.client.send(
      new ExactGetCommand({ TableName: this.table.tableName, Key: entitlementKey(tenantId), ConsistentRead: true }),
    );
    return factsOf(Item);
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
