import { catalog, type Plan } from '../../../src/domain/catalog';
import { billableQuantity, thresholdsReached } from '../../../src/domain/metering';
import { CURRENCIES, type Currency } from '../../../src/domain/money';
import { isGauge, RESOURCES, type Resource } from '../../../src/domain/resources';

/** A usage record as a client sends it to `POST /usage/track`. */
export interface TrackRecord {
  readonly resource_type: Resource;
  readonly usage_amount: number;
  readonly timestamp: string;
  readonly metadata?: Record<string, string>;
}

/** A small seeded generator (mulberry32), so that every run sends the same workload. */
export const seededRandom = (seed: number): (() => number) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
};

/** A tenant with a subscription: its plan, currency, and the share of its quota it ends the run at. */
export interface TenantPlan {
  readonly plan: Plan;
  readonly currency: Currency;
  /** Gauges sit at this share of the included quantity; counters sum to about it over the run. */
  readonly quotaShare: number;
}

export interface Tenant {
  readonly id: string;
  readonly users: number;
  readonly devices: number;
  readonly storageGb: number;
  readonly apiCallsPerRecord: number;
  /** Absent: no subscription (usage counted in calendar months, no plan read, no alerts). */
  readonly plan?: TenantPlan;
}

export interface PlannedOptions {
  /** Records the run will send each tenant (about): counters are sized from it to reach `quotaShare`. */
  readonly recordsPerTenant: number;
}

/** How often each resource shows up in a client's records. */
const MIX: readonly (readonly [Resource, number])[] = [
  ['api_calls', 0.55],
  ['alerts', 0.1],
  ['devices', 0.15],
  ['users', 0.1],
  ['storage_gb', 0.1],
];
/** Records carry times from the last ten minutes, as a client flushing its buffer does. */
const SPREAD_MS = 10 * 60_000;
/**
 * Tenants with a plan end the run at 120-180% of their quota: past both alert thresholds (80%,
 * 100%) well inside the run, so alerts and the overage announcement fire in the measured phases.
 */
const QUOTA_SHARE = { min: 1.2, spread: 0.6 } as const;

/**
 * The benchmark's tenants and their records: gauges (`users`, `devices`, `storage_gb`) report a
 * level that wobbles around the tenant's own, counters (`api_calls`, `alerts`) report increments.
 * With `planned`, every second tenant has a plan (each plan of the catalog and each currency in
 * turn) and usage sized to its quota. Keeps what each tenant should end up with (counters summed,
 * gauges at their peak).
 */
export class Workload {
  readonly tenants: readonly Tenant[];
  private readonly random: () => number;
  private readonly now: () => Date;
  private readonly recordsPerTenant: number;
  private readonly expected = new Map<string, Record<Resource, number>>();
  private sent = 0;

  constructor(options: { tenants: number; seed: number; now: () => Date; planned?: PlannedOptions }) {
    this.random = seededRandom(options.seed);
    this.now = options.now;
    this.recordsPerTenant = Math.max(1, options.planned?.recordsPerTenant ?? 1);
    // Plans draw from their own sequence, so the tenants' other figures stay those of a run without plans.
    const planRandom = seededRandom(options.seed ^ 0x5eed);
    let planned = 0;
    this.tenants = Array.from({ length: options.tenants }, (_, i) => {
      const tenant = {
        id: `tenant-${String(i + 1).padStart(4, '0')}`,
        users: 5 + Math.floor(this.random() * 250),
        devices: 10 + Math.floor(this.random() * 600),
        storageGb: Math.round((5 + this.random() * 2_000) * 100) / 100,
        apiCallsPerRecord: 20 + Math.floor(this.random() * 300),
      };
      if (!options.planned || i % 2 === 0) return tenant;
      // 5 plans and 3 currencies, coprime: any 15 tenants in a row cover every pair.
      const plan = catalog.plans[planned % catalog.plans.length];
      const currency = CURRENCIES[planned % CURRENCIES.length];
      planned += 1;
      if (!plan || !currency) throw new Error('the catalog has no plans');
      return { ...tenant, plan: { plan, currency, quotaShare: QUOTA_SHARE.min + QUOTA_SHARE.spread * planRandom() } };
    });
  }

  /** Threshold alerts (80%, 100% per resource) that what `tenant` sent should have fired; 0 without a plan. */
  expectedAlerts(tenant: Tenant): number {
    const plan = tenant.plan?.plan;
    if (!plan) return 0;
    const sent = this.expectedFor(tenant.id);
    return RESOURCES.reduce((n, r) => n + thresholdsReached(billableQuantity(r, isGauge(r) ? sent[r] : BigInt(Math.round(sent[r]))), plan.limits[r]).length, 0);
  }

  get recordsSent(): number {
    return this.sent;
  }

  /** The next record of `tenant`, counted as sent. */
  record(tenant: Tenant): TrackRecord {
    const resource = this.pick();
    const amount = this.amount(tenant, resource);
    const at = new Date(this.now().getTime() - Math.floor(this.random() * SPREAD_MS));
    const withMetadata = this.random() < 0.2;
    this.count(tenant.id, resource, amount);
    return {
      resource_type: resource,
      usage_amount: amount,
      timestamp: at.toISOString(),
      ...(withMetadata ? { metadata: { source: `agent-${1 + Math.floor(this.random() * 40)}`, region: 'eu-west-1' } } : {}),
    };
  }

  records(tenant: Tenant, count: number): TrackRecord[] {
    return Array.from({ length: count }, () => this.record(tenant));
  }

  /** What `tenant` sent: counters summed, gauges at their peak. */
  expectedFor(tenantId: string): Record<Resource, number> {
    return this.expected.get(tenantId) ?? zero();
  }

  /** A shuffled copy (seeded), to interleave tenants as independent clients would. */
  shuffled<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i -= 1) {
      const j = Math.floor(this.random() * (i + 1));
      [out[i], out[j]] = [out[j] as T, out[i] as T];
    }
    return out;
  }

  private pick(): Resource {
    let r = this.random();
    for (const [resource, weight] of MIX) {
      if (r < weight) return resource;
      r -= weight;
    }
    return 'api_calls';
  }

  private amount(tenant: Tenant, resource: Resource): number {
    const wobble = 1 + (this.random() - 0.5) * 0.1;
    if (tenant.plan) return this.plannedAmount(tenant.plan, resource, wobble);
    switch (resource) {
      case 'api_calls':
        return Math.max(1, Math.round(tenant.apiCallsPerRecord * (0.5 + this.random())));
      case 'alerts': {
        const r = this.random();
        return r < 0.4 ? 0 : r < 0.75 ? 1 : r < 0.9 ? 2 : 3 + Math.floor(this.random() * 3);
      }
      case 'users':
        return Math.round(tenant.users * wobble);
      case 'devices':
        return Math.round(tenant.devices * wobble);
      case 'storage_gb':
        return Math.round(tenant.storageGb * (1 + (this.random() - 0.5) * 0.02) * 100) / 100;
    }
  }

  /** Gauges at `quotaShare` of the quota; counters such that the run's records sum to about it. */
  private plannedAmount({ plan, quotaShare }: TenantPlan, resource: Resource, wobble: number): number {
    const target = plan.limits[resource] * quotaShare;
    if (resource === 'storage_gb') return Math.round(target * wobble * 100) / 100;
    if (isGauge(resource)) return Math.max(1, Math.round(target * wobble));
    const share = MIX.find(([r]) => r === resource)?.[1] ?? 1;
    return Math.max(1, Math.round((target / (this.recordsPerTenant * share)) * (0.5 + this.random())));
  }

  private count(tenantId: string, resource: Resource, amount: number): void {
    const totals = this.expected.get(tenantId) ?? zero();
    totals[resource] = isGauge(resource) ? Math.max(totals[resource], amount) : totals[resource] + amount;
    this.expected.set(tenantId, totals);
    this.sent += 1;
  }
}

const zero = (): Record<Resource, number> => Object.fromEntries(RESOURCES.map((r) => [r, 0])) as Record<Resource, number>;
