import { RATE_LIMIT_KEY_PREFIX, TABLE_INDEX, tableDefinition } from '../../../contracts/table';
import type { StoredPeriod } from '../../app/ports/periods';
import type { TenantProfile } from '../../app/ports/tenants';

/**
 * Every key of the single table is built here, and nowhere else (docs/data-model.md).
 * Repositories call these functions; they never write a prefix or attribute name themselves.
 */
export const ATTR = {
  pk: tableDefinition.partitionKey,
  sk: tableDefinition.sortKey,
  ttl: tableDefinition.ttlAttribute,
  gsi1pk: tableDefinition.indexes[0].partitionKey,
  gsi1sk: tableDefinition.indexes[0].sortKey,
  gsi2pk: tableDefinition.indexes[1].partitionKey,
  gsi2sk: tableDefinition.indexes[1].sortKey,
} as const;

/** The table's secondary indexes by name (`contracts/table.ts`): GSI1 inverse lookups, GSI2 the sparse work index. */
export const INDEX = TABLE_INDEX;

const PREFIX = {
  tenant: 'TENANT#',
  event: 'EVENT#',
  subscription: 'SUB#',
  invoice: 'INVOICE#',
  invoices: 'INVOICES#',
  stripeCustomer: 'STRIPE_CUSTOMER#',
  stripeEvent: 'STRIPE_EVENT#',
  usage: 'USAGE#',
  period: 'PERIOD#',
  alert: 'ALERT#',
  usageMessage: 'USAGEMSG#',
  usageRecord: 'USAGEKEY#',
  unbilled: 'UNBILLED#',
  overage: 'OVERAGE#',
  rate: RATE_LIMIT_KEY_PREFIX,
} as const;

const PROFILE = 'PROFILE';
const MARKER = 'MARKER';

/** The partition of Powertools idempotency records (`Idempotency-Key`), sort keys `api#<hash>`. */
export const IDEMPOTENCY_PK = 'IDEMPOTENCY';

export interface ItemKey {
  readonly PK: string;
  readonly SK: string;
}

export const tenantPk = (tenantId: string): string => `${PREFIX.tenant}${tenantId}`;

/** Billing events sort by time under their tenant: `EVENT#<iso time>#<id>`. */
export const billingEventKey = (tenantId: string, occurredAt: string, eventId: string): ItemKey => ({
  PK: tenantPk(tenantId),
  SK: `${PREFIX.event}${occurredAt}#${eventId}`,
});

/** The sort-key range of a tenant's events between two instants (inclusive). */
export const billingEventRange = (from?: string, to?: string): { start: string; end: string } => ({
  start: `${PREFIX.event}${from ?? ''}`,
  end: `${PREFIX.event}${to ?? '\uffff'}\uffff`,
});

/**
 * GSI2 on a billing event the revenue report reads (MRR changes, invoices, credits, refunds):
 * one partition per month, by time then tenant, so a month is one Query and never a scan.
 */
export const revenueIndex = (occurredAt: string, tenantId: string, eventId: string) => ({
  GSI2PK: revenueMonthPk(occurredAt.slice(0, 7)),
  GSI2SK: `${occurredAt}#${tenantId}#${eventId}`,
});

/** The GSI2 partition of one month's revenue events (`YYYY-MM`). */
export const revenueMonthPk = (month: string): string => `REVENUE#${month}`;

/** A tenant's profile: Stripe customer, currency, trial used, current subscription. */
export const profileKey = (tenantId: string): ItemKey => ({ PK: tenantPk(tenantId), SK: PROFILE });

/** GSI1 on the profile: find a tenant by its Stripe customer id (invoice webhooks). */
export const profileByCustomer = (customerId: string) => ({ GSI1PK: `${PREFIX.stripeCustomer}${customerId}`, GSI1SK: PROFILE });

export const subscriptionKey = (tenantId: string, subscriptionId: string): ItemKey => ({
  PK: tenantPk(tenantId),
  SK: `${PREFIX.subscription}${subscriptionId}`,
});

/** Invoices are read by id under the tenant (so another tenant's id is simply not found)... */
export const invoiceKey = (tenantId: string, invoiceId: string): ItemKey => ({
  PK: tenantPk(tenantId),
  SK: `${PREFIX.invoice}${invoiceId}`,
});

/** The sort-key prefix every invoice of a tenant has. */
export const invoicePrefix = (): string => PREFIX.invoice;

/** ...and listed newest first through GSI1. */
export const invoiceListing = (tenantId: string, createdAt?: string, invoiceId?: string) => ({
  GSI1PK: `${PREFIX.invoices}${tenantId}`,
  GSI1SK: createdAt === undefined ? '' : `${createdAt}#${invoiceId ?? ''}`,
});

/** One marker per Stripe event id: processed once. */
export const stripeEventKey = (eventId: string): ItemKey => ({ PK: `${PREFIX.stripeEvent}${eventId}`, SK: MARKER });

/** Attribute names of items, shared by repositories that write the same item. */
export const FIELD = {
  syncedAt: 'synced_at',
  /** On the profile: the tenant's plan timeline (`domain/timeline.ts`) and its version. */
  timeline: 'timeline',
  timelineVersion: 'timeline_v',
  /** The owning tenant, on items whose key does not say it plainly (profiles, buckets, markers). */
  tenantId: 'tenant_id',
} as const;

/** Profile attributes that creates and customer writes set and condition on. */
export const PROFILE_FIELD = {
  stripeCustomerId: 'stripe_customer_id',
  currency: 'currency',
  trialUsed: 'trial_used',
  subscriptionsCreated: 'subscriptions_created',
  currentSubscriptionId: 'current_subscription_id',
  billingDetails: 'billing_details',
} as const satisfies Record<string, keyof TenantProfile>;

/** Period attributes that the overage run's state changes name. */
export const PERIOD_FIELD = {
  status: 'status' satisfies keyof StoredPeriod,
  end: 'end' satisfies keyof StoredPeriod,
  /** When the overage run billed it (kept on the item, not part of the port's period). */
  billedAt: 'billed_at',
} as const;

/** Attributes of a billing event that listings filter on. */
export const EVENT_FIELD = { type: 'type' } as const;

/** Attributes of a usage alert marker. */
export const ALERT_FIELD = { firedAt: 'fired_at', notified: 'notified' } as const;

/** A usage bucket: one tenant, one usage period, one UTC day (`USAGE#<period start>#<date>`). */
export const usageBucketKey = (tenantId: string, periodStart: string, date: string): ItemKey => ({
  PK: tenantPk(tenantId),
  SK: `${PREFIX.usage}${periodStart}#${date}`,
});

/** Sort-key prefix of every bucket of one usage period, and the range across periods. */
export const usageBucketPrefix = (periodStart: string): string => `${PREFIX.usage}${periodStart}#`;
export const usageBucketRange = (fromPeriodStart: string, toPeriodStart: string) => ({
  start: `${PREFIX.usage}${fromPeriodStart}`,
  end: `${PREFIX.usage}${toPeriodStart}#\uffff`,
});

/** The date part of a bucket sort key. */
export const bucketParts = (sk: string): { periodStart: string; date: string } => {
  const [periodStart = '', date = ''] = sk.slice(PREFIX.usage.length).split('#');
  return { periodStart, date };
};

/** Bucket attributes: counter sums, gauge peaks, and the late part of counters. */
export const usageAttr = {
  counter: (resource: string) => `c_${resource}`,
  peak: (resource: string) => `p_${resource}`,
  late: (resource: string) => `l_${resource}`,
  /** A gauge's latest reported level in the bucket, and when it was reported (ISO). */
  level: (resource: string) => `v_${resource}`,
  levelAt: (resource: string) => `vt_${resource}`,
  /** Set on every bucket of a period a change closed early: no commit lands there afterwards. */
  sealed: 'sealed',
} as const;

/** A stable shard of `text` among `shards` (a 31-multiplier string hash): the same text, the same shard. */
const shardOf = (text: string, shards: number): number => {
  let hash = 0;
  for (const ch of text) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return hash % shards;
};

/** Shards of the unbilled-periods index, so the planner's queries spread over partitions. */
export const UNBILLED_SHARDS = 8;

export const periodKey = (tenantId: string, periodStart: string): ItemKey => ({
  PK: tenantPk(tenantId),
  SK: `${PREFIX.period}${periodStart}`,
});

/** GSI2 attributes of an unbilled period: the planner queries ended ones by end time. */
export const unbilledPeriodIndex = (tenantId: string, periodEnd: string) => {
  return { GSI2PK: `${PREFIX.unbilled}${shardOf(tenantId, UNBILLED_SHARDS)}`, GSI2SK: `${periodEnd}#${tenantId}` };
};

/** One marker per usage message (its dedup id): counted once. */
export const usageMessageKey = (dedupId: string): ItemKey => ({ PK: `${PREFIX.usageMessage}${dedupId}`, SK: MARKER });

/** One marker per record idempotency key of a tenant. */
export const usageRecordKey = (tenantId: string, key: string): ItemKey => ({
  PK: `${PREFIX.usageRecord}${tenantId}#${key}`,
  SK: MARKER,
});

/** Sort-key prefix of a period's alert markers; the rest of the key is `<resource>#<threshold>`. */
export const usageAlertPrefix = (periodStart: string): string => `${PREFIX.alert}${periodStart}#`;

/** One marker per (period, resource, threshold): a usage alert fires once. */
export const usageAlertKey = (tenantId: string, periodStart: string, resource: string, threshold: number): ItemKey => ({
  PK: tenantPk(tenantId),
  SK: `${usageAlertPrefix(periodStart)}${resource}#${threshold}`,
});

/** One record per billed overage line: `OVERAGE#<period start>#<resource>`, with the Stripe item id. */
export const overageLineKey = (tenantId: string, periodStart: string, resource: string): ItemKey => ({
  PK: tenantPk(tenantId),
  SK: `${PREFIX.overage}${periodStart}#${resource}`,
});
export const overageLinePrefix = (periodStart: string): string => `${PREFIX.overage}${periodStart}#`;

/** The unbilled-periods index partitions, for the planner to query one by one. */
export const unbilledShards = (): string[] => Array.from({ length: UNBILLED_SHARDS }, (_, i) => `${PREFIX.unbilled}${i}`);

/**
 * The admin overview's maintained counters, changed in the same transactions as the data: one
 * item, plus `STATS_SHARDS` shards for counters many writers raise at once (the overage run's
 * revenue, from concurrent workers), so their transactions do not collide on one item. A
 * counter's value is the sum over the item and its shards.
 */
export const statsKey = (shard?: number): ItemKey => ({ PK: 'STATS', SK: shard === undefined ? 'OVERVIEW' : `OVERVIEW#${shard}` });

export const STATS_SHARDS = 16;

/** The stats shard a write goes to, spread by what it is about (e.g. an overage line's key). */
export const statsShardOf = (about: string): number => shardOf(about, STATS_SHARDS);

/** The stats item and every shard: what the overview reads. */
export const statsKeys = (): ItemKey[] => [statsKey(), ...Array.from({ length: STATS_SHARDS }, (_, n) => statsKey(n))];

const STATS_COUNTER_PREFIX = 'c#';

/** Counter attribute names on the stats item (`c#arr#usd`, `c#plan#starter`, ...). */
export const statsCounter = (name: string): string => `${STATS_COUNTER_PREFIX}${name}`;

/** The counter name of a stats item attribute (`c#arr#usd` -> `arr#usd`), or null for other attributes. */
export const statsCounterName = (attribute: string): string | null =>
  attribute.startsWith(STATS_COUNTER_PREFIX) ? attribute.slice(STATS_COUNTER_PREFIX.length) : null;

/**
 * GSI2 on a subscription while it is trialing (by trial end) or past due (by tenant), and on an
 * entitlement item while its answer will change with time alone (by that instant).
 */
export const WATCH = { trialing: 'WATCH#TRIALING', pastDue: 'WATCH#PAST_DUE', entitlements: 'WATCH#ENTITLEMENTS' } as const;
export const subscriptionWatchIndex = (status: string, tenantId: string, trialEnd: string | null) =>
  status === 'trialing' && trialEnd
    ? { GSI2PK: WATCH.trialing, GSI2SK: `${trialEnd}#${tenantId}` }
    : status === 'past_due'
      ? { GSI2PK: WATCH.pastDue, GSI2SK: tenantId }
      : null;

/** Tenant webhooks (`store/webhooks.ts`): endpoints, their count, delivery state and attempts. */
const WEBHOOK_PREFIX = { endpoint: 'WEBHOOK#', delivery: 'WHDELIVERY#', attempt: 'DELIVERY#' } as const;

/** One webhook endpoint of a tenant: `WEBHOOK#<id>` (another tenant's id is simply not there). */
export const webhookEndpointKey = (tenantId: string, endpointId: string): ItemKey => ({
  PK: tenantPk(tenantId),
  SK: `${WEBHOOK_PREFIX.endpoint}${endpointId}`,
});
export const webhookEndpointPrefix = (): string => WEBHOOK_PREFIX.endpoint;

/** The tenant's endpoint count, kept in the same transactions as creates and deletes (the cap). */
export const webhookCountKey = (tenantId: string): ItemKey => ({ PK: tenantPk(tenantId), SK: 'WEBHOOK_COUNT' });

/** Delivery state of one event to one endpoint: attempts so far, lease, delivered. TTL. */
export const webhookDeliveryKey = (tenantId: string, endpointId: string, eventId: string): ItemKey => ({
  PK: tenantPk(tenantId),
  SK: `${WEBHOOK_PREFIX.delivery}${endpointId}#${eventId}`,
});

/** One delivery attempt, listed newest first: `DELIVERY#<attempted at>#<event>#<endpoint>#<attempt>`. TTL. */
export const webhookAttemptKey = (tenantId: string, attemptedAt: string, eventId: string, endpointId: string, attempt: number): ItemKey => ({
  PK: tenantPk(tenantId),
  SK: `${WEBHOOK_PREFIX.attempt}${attemptedAt}#${eventId}#${endpointId}#${String(attempt).padStart(4, '0')}`,
});
export const webhookAttemptPrefix = (): string => WEBHOOK_PREFIX.attempt;

/** Attribute names of webhook items that conditions and updates name. */
export const WEBHOOK_FIELD = {
  count: 'endpoint_count',
  attempts: 'attempts',
  leaseUntil: 'lease_until',
  deliveredAt: 'delivered_at',
} as const;

/** The attribute of a rate-limit window counting the units leased from it. */
export const RATE_FIELD = { leased: 'leased' } as const;

/** A per-tenant rate-limit window: `RATE#<tenant>#<what>#<window start>`, expiring by TTL. */
export const rateWindowKey = (tenantId: string, what: string, windowStart: number): ItemKey => ({
  PK: `${PREFIX.rate}${tenantId}#${what}#${windowStart}`,
  SK: MARKER,
});

/**
 * A tenant's entitlement item (`store/entitlements.ts`): everything `GET /entitlements` is
 * computed from but usage, in one item, kept current by the writers of its inputs in their
 * transactions. Its sort key sorts right after every usage bucket of the tenant (`~` after the
 * digits of the buckets' ISO period starts), so ONE Query, newest first, reads it and then the
 * buckets of the latest usage periods: usage costs the ingest path nothing more.
 */
export const entitlementKey = (tenantId: string): ItemKey => ({ PK: tenantPk(tenantId), SK: `${PREFIX.usage}~ENTITLEMENTS` });

/** The sort-key prefix the entitlement read queries: the tenant's usage buckets, then the entitlement item. */
export const entitlementReadPrefix = (): string => PREFIX.usage;

/** Attributes of the entitlement item. JSON text for structures. */
export const ENTITLEMENT_FIELD = {
  subscription: 'subscription',
  timeline: 'timeline',
  spendCap: 'spend_cap',
  spendCapCurrency: 'spend_cap_currency',
  announced: 'announced',
  announcedSeq: 'announced_seq',
  /** An unpaid invoice: `i#<invoice id>` (JSON), removed once it is paid or voided. */
  unpaid: (invoiceId: string) => `i#${invoiceId}`,
} as const;

/** The invoice id of an unpaid-invoice attribute of the entitlement item; null for any other attribute. */
export const unpaidInvoiceOf = (name: string): string | null => (name.startsWith('i#') ? name.slice(2) : null);

/** GSI2 on an entitlement item whose answer changes at `at` with no write (a grace period ending). */
export const entitlementWatchIndex = (tenantId: string, at: string) => ({ GSI2PK: WATCH.entitlements, GSI2SK: `${at}#${tenantId}` });

/**
 * The admin tenant directory (`store/directory.ts`): small index items under each tenant, each
 * placing it in one GSI2 partition that `GET /admin/tenants` queries (never a scan):
 * everyone (`DIRECTORY`), by status, by plan, and by search term (tenant id, email, name,
 * lower case; partitioned by first character, sorted by the term for prefix search).
 */
export const DIRECTORY = {
  all: 'DIRECTORY',
  status: (status: string) => `DIRSTATUS#${status}`,
  plan: (planId: string) => `DIRPLAN#${planId}`,
  term: (firstChar: string) => `DIRTERM#${firstChar}`,
} as const;

/** One directory entry of a tenant: `DIR#<what>` (`ALL`, `STATUS`, `PLAN`, `TERM#id`, `TERM#email`, `TERM#name`). */
export const directoryEntryKey = (tenantId: string, what: string): ItemKey => ({ PK: tenantPk(tenantId), SK: `DIR#${what}` });

/** Machine credentials (`dynamodb/api-clients.ts`): a tenant's clients, their count, and the client-id mapping. */
const API_CLIENT_PREFIX = { client: 'APICLIENT#', mapping: 'OAUTHCLIENT#' } as const;

/** One API client of a tenant: `APICLIENT#<id>` (another tenant's id is simply not there). */
export const apiClientKey = (tenantId: string, id: string): ItemKey => ({ PK: tenantPk(tenantId), SK: `${API_CLIENT_PREFIX.client}${id}` });
export const apiClientPrefix = (): string => API_CLIENT_PREFIX.client;

/** The tenant's API-client count, kept in the same transactions as creates and revocations (the cap). */
export const apiClientCountKey = (tenantId: string): ItemKey => ({ PK: tenantPk(tenantId), SK: 'APICLIENT_COUNT' });

/** What an OAuth client id maps to (tenant, scopes, active or revoked): read on every machine request. */
export const clientMappingKey = (clientId: string): ItemKey => ({ PK: `${API_CLIENT_PREFIX.mapping}${clientId}`, SK: MARKER });

/** Attribute names of API-client items that conditions and updates name. */
export const API_CLIENT_FIELD = { count: 'client_count', status: 'status', revokedAt: 'revoked_at' } as const;
