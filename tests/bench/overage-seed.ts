/**
 * The tenants of `npm run bench:overage` and how they get into the local stack: Stripe objects
 * through the real SDK for the tenants that will be billed, and DynamoDB items built with the
 * keys module and the repositories, written in bounded-concurrency batches.
 */
import { addressIn, NO_BILLING_DETAILS } from '../../src/domain/billing-details';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import type Stripe from 'stripe';
import { catalog, findPlan, type Plan } from '../../src/domain/catalog';
import { emptyTally, mergeTallies, type Tally } from '../../src/domain/metering';
import type { Currency } from '../../src/domain/money';
import { computeOverages, mayBill } from '../../src/domain/overage';
import { utcDate } from '../../src/domain/periods';
import { GAUGES, RESOURCES, type Resource } from '../../src/domain/resources';
import { lookupKey } from '../../src/adapters/stripe/catalog-sync';
import type { TableRef } from '../../src/adapters/dynamodb/client';
import { FIELD, profileByCustomer, profileKey, subscriptionKey, usageAttr, usageBucketKey } from '../../src/adapters/dynamodb/keys';
import type { StoredSubscription } from '../../src/app/ports/subscriptions';
import type { TenantProfile } from '../../src/app/ports/tenants';
import { UsageRepository } from '../../src/adapters/dynamodb/usage';
import { inPool } from './support/pool';

export interface WorkloadOptions {
  readonly tenants: number;
  /** Share of tenants over quota (on one or two resources). */
  readonly overShare: number;
  /** Days of the period with usage (one bucket item each). */
  readonly bucketDays: number;
  readonly periodStart: Date;
  readonly periodEnd: Date;
  readonly seed: number;
}

export interface BenchTenant {
  readonly id: string;
  readonly plan: Plan;
  readonly currency: Currency;
  readonly over: boolean;
  readonly buckets: readonly { readonly date: string; readonly tally: Tally }[];
  /** What the biller must bill, from the domain's own arithmetic: lines with amount > 0. */
  readonly expectedLines: number;
  readonly expectedAmount: number;
}

/** Stripe ids of a tenant: real objects for billed tenants, placeholders the biller never sends to Stripe otherwise. */
export interface StripeIds {
  readonly customerId: string;
  readonly subscriptionId: string;
  readonly priceId: string;
  readonly createdAt: Date;
  readonly anchor: Date;
  readonly currentPeriodStart: Date;
  readonly currentPeriodEnd: Date;
}

const PLAN_WEIGHTS: Readonly<Record<string, number>> = { starter: 50, professional: 30, business: 15, enterprise: 4, msp_bundle: 1 };
const CURRENCY_WEIGHTS: Readonly<Record<Currency, number>> = { usd: 70, eur: 20, gbp: 10 };

/** mulberry32: a small seeded generator, so every run seeds the same tenants. */
const generator = (seed: number) => {
  let a = seed >>> 0;
  return (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
};

const pick = <T extends string>(random: () => number, weights: Readonly<Record<T, number>>): T => {
  const entries = Object.entries(weights) as [T, number][];
  const total = entries.reduce((n, [, w]) => n + w, 0);
  let r = random() * total;
  for (const [key, w] of entries) {
    r -= w;
    if (r < 0) return key;
  }
  const last = entries[entries.length - 1];
  if (!last) throw new Error('no weights');
  return last[0];
};

/** `count` distinct entries of `from` (a partial Fisher-Yates shuffle). */
const sample = <T>(from: readonly T[], count: number, random: () => number): T[] => {
  const copy = [...from];
  for (let i = 0; i < count && i < copy.length; i += 1) {
    const j = i + Math.floor(random() * (copy.length - i));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy.slice(0, count);
};

/** A period's total quantity of one resource spread over days: counters split, gauges peak once. */
const spread = (resource: Resource, total: number, days: number, random: () => number): number[] => {
  if (GAUGES.includes(resource)) {
    const peakDay = Math.floor(random() * days);
    const round = (v: number) => (resource === 'storage_gb' ? Math.round(v * 100) / 100 : Math.floor(v));
    return Array.from({ length: days }, (_, d) => (d === peakDay ? total : round(total * (0.5 + 0.5 * random()))));
  }
  const weights = Array.from({ length: days }, () => 0.2 + random());
  const sum = weights.reduce((a, b) => a + b, 0);
  const parts = weights.map((w) => Math.floor((total * w) / sum));
  const rest = total - parts.reduce((a, b) => a + b, 0);
  parts[0] = (parts[0] ?? 0) + rest;
  return parts;
};

/**
 * Deterministic tenants: mixed plans and currencies, monthly, every resource used at 10-95% of
 * its quota, and `overShare` of them 5-50% over quota on one or two resources.
 */
export const buildWorkload = (options: WorkloadOptions): BenchTenant[] => {
  const random = generator(options.seed);
  const plans = catalog.plans.filter((p) => (PLAN_WEIGHTS[p.id] ?? 0) > 0);
  const planWeights = Object.fromEntries(plans.map((p) => [p.id, PLAN_WEIGHTS[p.id] ?? 0]));
  const periodDays: string[] = [];
  for (let t = options.periodStart.getTime(); t < options.periodEnd.getTime(); t += 86_400_000) periodDays.push(utcDate(new Date(t)));
  const days = Math.min(options.bucketDays, periodDays.length);
  const overEvery = Math.round(1 / options.overShare);

  return Array.from({ length: options.tenants }, (_, i) => {
    const plan = findPlan(pick(random, planWeights));
    if (!plan) throw new Error('the catalog lost a plan');
    const currency = pick(random, CURRENCY_WEIGHTS);
    const over = i % overEvery === overEvery - 1;
    const overResources = new Set<Resource>();
    if (over) {
      const count = random() < 0.5 ? 1 : 2;
      while (overResources.size < count) overResources.add(RESOURCES[Math.floor(random() * RESOURCES.length)] ?? 'api_calls');
    }
    const chosenDays = sample(periodDays, days, random).sort();
    const perDay = chosenDays.map(() => ({ counters: {} as Partial<Record<Resource, bigint>>, peaks: {} as Partial<Record<Resource, number>> }));
    for (const resource of RESOURCES) {
      const included = plan.limits[resource];
      const factor = overResources.has(resource) ? 1.05 + 0.45 * random() : 0.1 + 0.85 * random();
      const total =
        resource === 'storage_gb' ? Math.round(included * factor * 100) / 100 : Math.max(overResources.has(resource) ? included + 1 : 0, Math.floor(included * factor));
      spread(resource, total, days, random).forEach((v, d) => {
        const bucket = perDay[d];
        if (!bucket) return;
        if (GAUGES.includes(resource)) bucket.peaks[resource] = v;
        else bucket.counters[resource] = BigInt(v);
      });
    }
    const buckets = chosenDays.map((date, d) => ({ date, tally: { ...emptyTally(), ...perDay[d] } }));
    const total = buckets.reduce((t, b) => mergeTallies(t, b.tally), emptyTally());
    const lines = computeOverages(total, plan, currency).filter((l) => l.amount > 0n);
    return {
      id: `bench-${String(i).padStart(6, '0')}`,
      plan,
      currency,
      over,
      buckets,
      expectedLines: lines.length,
      expectedAmount: Number(lines.reduce((n, l) => n + l.amount, 0n)),
    };
  });
};

/**
 * Creates a Stripe customer (card on file) and a monthly subscription for each tenant, as the
 * subscription route would, with the app's idempotency keys. Returns the catalog price ids used.
 */
export const seedStripe = async (stripe: Stripe, tenants: readonly BenchTenant[], concurrency: number): Promise<void> => {
  const wanted = [...new Set(tenants.map((t) => lookupKey({ planId: t.plan.id, cycle: 'monthly', currency: t.currency })))];
  const prices = new Map<string, string>();
  // Stripe takes at most 10 lookup keys per list call.
  for (let i = 0; i < wanted.length; i += 10) {
    for await (const price of stripe.prices.list({ lookup_keys: wanted.slice(i, i + 10), active: true, limit: 100 })) {
      if (price.lookup_key) prices.set(price.lookup_key, price.id);
    }
  }
  await inPool(tenants, concurrency, async (tenant) => {
    const key = lookupKey({ planId: tenant.plan.id, cycle: 'monthly', currency: tenant.currency });
    const price = prices.get(key);
    if (!price) throw new Error(`the local Stripe has no price ${key}: the catalog sync did not run`);
    const customer = await stripe.customers.create(
      { metadata: { tenant_id: tenant.id }, payment_method: 'pm_card_visa', invoice_settings: { default_payment_method: 'pm_card_visa' } },
      { idempotencyKey: `customer:${tenant.id}` },
    );
    await stripe.subscriptions.create(
      { customer: customer.id, items: [{ price }], payment_behavior: 'allow_incomplete', metadata: { tenant_id: tenant.id } },
      { idempotencyKey: `subscription:${tenant.id}:0` },
    );
  });
};

/** The tenants' subscriptions as Stripe has them now (after renewals), by tenant id. */
export const stripeSubscriptions = async (stripe: Stripe): Promise<Map<string, StripeIds>> => {
  const found = new Map<string, StripeIds>();
  for await (const sub of stripe.subscriptions.list({ limit: 100 })) {
    const tenantId = sub.metadata.tenant_id;
    const item = sub.items.data[0];
    if (!tenantId || !item) continue;
    found.set(tenantId, {
      customerId: typeof sub.customer === 'string' ? sub.customer : sub.customer.id,
      subscriptionId: sub.id,
      priceId: item.price.id,
      createdAt: new Date(sub.created * 1000),
      anchor: new Date(sub.billing_cycle_anchor * 1000),
      currentPeriodStart: new Date(item.current_period_start * 1000),
      currentPeriodEnd: new Date(item.current_period_end * 1000),
    });
  }
  return found;
};

const BATCH_ITEMS = 25;
const MAX_BATCH_ATTEMPTS = 10;

/** BatchWriteItem in chunks of 25, `concurrency` at a time, resending unprocessed items. */
const batchPut = async (table: TableRef, items: readonly Record<string, unknown>[], concurrency: number): Promise<number> => {
  const chunks: Record<string, unknown>[][] = [];
  for (let i = 0; i < items.length; i += BATCH_ITEMS) chunks.push(items.slice(i, i + BATCH_ITEMS));
  let requests = 0;
  await inPool(chunks, concurrency, async (chunk) => {
    let pending: { PutRequest: { Item: Record<string, unknown> } }[] = chunk.map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 1; pending.length > 0; attempt += 1) {
      if (attempt > MAX_BATCH_ATTEMPTS) throw new Error(`BatchWriteItem left ${pending.length} items unprocessed`);
      requests += 1;
      const out = await table.client.send(new BatchWriteCommand({ RequestItems: { [table.tableName]: pending } }));
      pending = (out.UnprocessedItems?.[table.tableName] ?? []).flatMap((r) => (r.PutRequest?.Item ? [{ PutRequest: { Item: r.PutRequest.Item } }] : []));
      if (pending.length > 0) await new Promise((r) => setTimeout(r, 20 * attempt));
    }
  });
  return requests;
};

export interface DynamoSeedResult {
  readonly items: number;
  readonly batchRequests: number;
  readonly periodPuts: number;
  /** Periods put on the overage run's index (their usage may bill). */
  readonly marked: number;
}

/**
 * Writes what the subscription route and the usage aggregator would have left in the table:
 * each tenant's profile, its subscription mirror and usage buckets (batched, keys from the keys
 * module), and its usage period through `UsageRepository.ensurePeriod`; a period whose usage
 * may bill (`mayBill`, as the aggregator judges it) goes on the run's index (`markMayBill`).
 */
export const seedDynamo = async (
  table: TableRef,
  tenants: readonly BenchTenant[],
  ids: (tenant: BenchTenant) => StripeIds,
  period: { start: Date; end: Date; syncedAt: Date },
  concurrency: number,
): Promise<DynamoSeedResult> => {
  const periodStart = period.start.toISOString();
  const items: Record<string, unknown>[] = [];
  for (const tenant of tenants) {
    const stripe = ids(tenant);
    const profile: TenantProfile = {
      tenant_id: tenant.id,
      stripe_customer_id: stripe.customerId,
      currency: tenant.currency,
      trial_used: false,
      billing_details: { ...NO_BILLING_DETAILS, address: { ...addressIn('US'), postal_code: '94107' } },
      subscriptions_created: 1,
      current_subscription_id: stripe.subscriptionId,
      // Derived from the subscription on first read (a plan timeline is written by mirror saves).
      timeline: [],
    };
    items.push({ ...profileKey(tenant.id), ...profileByCustomer(stripe.customerId), ...profile });
    const subscription: StoredSubscription = {
      id: stripe.subscriptionId,
      tenant_id: tenant.id,
      plan_id: tenant.plan.id,
      billing_cycle: 'monthly',
      currency: tenant.currency,
      status: 'active',
      trial_end: null,
      current_period_start: stripe.currentPeriodStart.toISOString(),
      current_period_end: stripe.currentPeriodEnd.toISOString(),
      cancel_at_period_end: false,
      canceled_at: null,
      pending_change: null,
      created_at: stripe.createdAt.toISOString(),
      stripe_customer_id: stripe.customerId,
      stripe_price_id: stripe.priceId,
      unit_amount: tenant.plan.prices[tenant.currency].monthly,
      billing_cycle_anchor: stripe.anchor.toISOString(),
      ended_at: null,
    };
    items.push({ ...subscriptionKey(tenant.id, stripe.subscriptionId), ...subscription, [FIELD.syncedAt]: period.syncedAt.getTime() });
    for (const bucket of tenant.buckets) {
      const attributes: Record<string, number | bigint> = {};
      for (const [r, v] of Object.entries(bucket.tally.counters) as [Resource, bigint][]) attributes[usageAttr.counter(r)] = v;
      for (const [r, v] of Object.entries(bucket.tally.peaks) as [Resource, number][]) attributes[usageAttr.peak(r)] = v;
      items.push({ ...usageBucketKey(tenant.id, periodStart, bucket.date), tenant_id: tenant.id, ...attributes });
    }
  }
  const batchRequests = await batchPut(table, items, concurrency);
  const usage = new UsageRepository(table);
  let marked = 0;
  await inPool(tenants, concurrency, async (tenant) => {
    await usage.ensurePeriod({
      tenant_id: tenant.id,
      start: periodStart,
      end: period.end.toISOString(),
      trial: false,
      plan_id: tenant.plan.id,
      currency: tenant.currency,
    });
    // What the aggregator does after a commit: a period whose usage may bill joins the run's index.
    const total = tenant.buckets.reduce((sum, bucket) => mergeTallies(sum, bucket.tally), emptyTally());
    if (mayBill(total, tenant.plan)) {
      await usage.markMayBill(tenant.id, periodStart);
      marked += 1;
    }
  });
  return { items: items.length + tenants.length, batchRequests, periodPuts: tenants.length, marked };
};
