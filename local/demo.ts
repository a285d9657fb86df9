import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { queues } from '../contracts/queues';
import { API_PREFIX } from '../contracts/routes';
import { WEBHOOK_EVENTS } from '../src/domain/webhooks/events';
import { CLOCK_PATH } from './clock-route';
import type { TokenRequest } from './jwt';

/**
 * Demo data for the local stack (`npm run demo`): a handful of tenants with a few months of
 * simulated life, made through the public HTTP API, tokens from the local key pair and the
 * local clock route only (no writes to the table or the local Stripe state), so it doubles as
 * a smoke test of the whole stack.
 */

/** The simulated clock, as the local clock route moves it. */
export interface DemoClock {
  now(): Promise<Date>;
  /** Moves time to `at`; resolves once everything due on the way has happened. */
  advanceTo(at: Date): Promise<void>;
}

/** Signs a token the stack's authorizer accepts (`issueToken` with the stack's keys). */
export type DemoTokenIssuer = (request: TokenRequest) => Promise<string>;

export interface DemoOptions {
  /** The stack's origin, e.g. `http://127.0.0.1:3000` (the API is under `/api/billing`). */
  readonly baseUrl: string;
  readonly issueToken: DemoTokenIssuer;
  /** Default: the clock route of `baseUrl`. */
  readonly clock?: DemoClock;
  /** Appended to every tenant id (`demo-northwind-<suffix>`): a second, separate demo. Default: the fixed ids. */
  readonly suffix?: string;
  /**
   * Where the webhook tenant's endpoint points, tried in order until the API accepts one (a
   * loopback receiver is refused unless the stack allows local webhook targets). None: no endpoint.
   */
  readonly webhookUrls?: readonly string[];
  /**
   * The webhook receiver stops when the caller does (`npm run demo`): disable the endpoint once
   * its deliveries are done, so that nothing is retried against a closed port afterwards.
   */
  readonly disableWebhookAtEnd?: boolean;
  /** Progress lines while it runs. */
  readonly log?: (line: string) => void;
  /** How long to wait for something asynchronous (a queue, a webhook) to show in the API. */
  readonly waitMs?: number;
}

export interface DemoTenantSummary {
  readonly id: string;
  readonly name: string;
  readonly country: string;
  readonly currency: string;
  /** `professional monthly`, or null without a subscription. */
  readonly plan: string | null;
  readonly status: string | null;
  /** `starter monthly from 2027-03-01`, or null. */
  readonly pendingChange: string | null;
  readonly invoices: { readonly total: number; readonly paid: number; readonly open: number };
  /** What happened to it, in order, each line starting with its simulated date (empty when the demo existed). */
  readonly story: readonly string[];
  readonly token: string;
  readonly signInUrl: string;
}

export type DemoWebhookSummary =
  | { readonly tenantId: string; readonly url: string; readonly endpointId: string; readonly attempts: number; readonly succeeded: number; readonly enabled: boolean }
  | { readonly tenantId: string; readonly url: null; readonly refused: readonly string[] };

export interface DemoSummary {
  /** False: the demo's tenants were already there and nothing was made. */
  readonly created: boolean;
  /** Simulated time before and after. */
  readonly from: string;
  readonly to: string;
  readonly elapsedMs: number;
  readonly tenants: readonly DemoTenantSummary[];
  readonly admin: { readonly token: string; readonly signInUrl: string; readonly mrr: Record<string, number> };
  /** The revenue report over the demo's months (`GET /admin/reports/revenue`), as the Admin tab shows it. */
  readonly revenue: readonly DemoRevenueMonth[];
  readonly webhook: DemoWebhookSummary | null;
}

/** One month of one currency in the revenue report. */
export interface DemoRevenueMonth {
  readonly month: string;
  readonly currency: string;
  readonly mrr: { readonly starting: number; readonly new: number; readonly expansion: number; readonly contraction: number; readonly churn: number; readonly reactivation: number; readonly ending: number };
  readonly invoiced: { readonly invoices: number; readonly usage: number; readonly total: number };
  readonly credits: number;
  readonly refunds: number;
}

/** Something the API did not do as the demo expected (the status and body say what it answered). */
export class DemoError extends Error {
  override readonly name = 'DemoError';
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const USAGE_BATCHING_MS = queues.usage.consumer.maximumBatchingWindowSeconds * 1000;

type TenantKey = 'northwind' | 'brightline' | 'kastner' | 'lumen' | 'meridian' | 'harbour';

interface TenantProfile {
  readonly name: string;
  readonly email: string;
  readonly currency: 'usd' | 'eur' | 'gbp';
  readonly address: Record<string, string>;
  readonly tax_ids?: readonly { type: string; value: string }[];
}

/** Who they are (fictitious; `.example` addresses, VAT IDs in the right format). */
const PROFILES: Record<TenantKey, TenantProfile> = {
  northwind: {
    name: 'Northwind Labs Inc.',
    email: 'billing@northwind.example',
    currency: 'usd',
    address: { line1: '510 Townsend St', city: 'San Francisco', state: 'CA', postal_code: '94103', country: 'US' },
  },
  brightline: {
    name: 'Brightline Security Ltd',
    email: 'accounts@brightline.example',
    currency: 'gbp',
    address: { line1: '1 Finsbury Avenue', city: 'London', postal_code: 'EC2M 2PF', country: 'GB' },
    tax_ids: [{ type: 'gb_vat', value: 'GB123456789' }],
  },
  kastner: {
    name: 'Kastner Netzwerke GmbH',
    email: 'rechnung@kastner.example',
    currency: 'eur',
    address: { line1: 'Friedrichstraße 68', city: 'Berlin', postal_code: '10117', country: 'DE' },
    tax_ids: [{ type: 'eu_vat', value: 'DE123456789' }],
  },
  lumen: {
    name: 'Atelier Lumen',
    email: 'compta@lumen.example',
    currency: 'eur',
    address: { line1: '12 rue de la Paix', city: 'Paris', postal_code: '75002', country: 'FR' },
  },
  meridian: {
    name: 'Meridian Health Partners',
    email: 'ap@meridian.example',
    currency: 'usd',
    address: { line1: '350 Fifth Avenue', city: 'New York', state: 'NY', postal_code: '10118', country: 'US' },
  },
  harbour: {
    name: 'Harbour Analytics',
    email: 'finance@harbour.example',
    currency: 'eur',
    address: { line1: '1 Grand Canal Square', city: 'Dublin', postal_code: 'D02 P820', country: 'IE' },
  },
};
/** The order they are made in; the first and the last tell whether an earlier run finished. */
const TENANT_ORDER: readonly TenantKey[] = ['northwind', 'brightline', 'kastner', 'lumen', 'meridian', 'harbour'];

interface Subscription {
  readonly status: string;
  readonly plan_id: string;
  readonly billing_cycle: string;
  readonly trial_end: string | null;
  readonly current_period_end: string;
  readonly pending_change: { plan_id: string; billing_cycle: string; effective_at: string } | null;
}
interface InvoiceSummary {
  readonly id: string;
  readonly status: string;
  readonly total: number;
  readonly tax: number;
  readonly currency: string;
  readonly created_at: string;
  readonly billing_reason?: string | null;
}
interface InvoiceDetail extends InvoiceSummary {
  readonly reverse_charge: boolean;
  readonly lines: readonly { kind: string; amount: number; description: string | null }[];
}
interface CurrentUsage {
  readonly period: { start: string; end: string };
  readonly usage: Record<string, { quantity: number; included: number | null; overage_amount: number }>;
}

const readBody = async (res: Response): Promise<unknown> => {
  const text = await res.text();
  try {
    return text.length > 0 ? (JSON.parse(text) as unknown) : null;
  } catch {
    return text;
  }
};

/** The clock route of a running stack (`POST /__local/clock {"to"}`), as `npm run clock` uses it. */
export const httpClock = (baseUrl: string): DemoClock => ({
  now: async () => {
    const res = await fetch(`${baseUrl}${CLOCK_PATH}`);
    const body = (await readBody(res)) as { now?: string };
    if (!res.ok || !body.now) throw new DemoError(`GET ${CLOCK_PATH} answered ${res.status}: ${JSON.stringify(body)}`);
    return new Date(body.now);
  },
  advanceTo: async (at) => {
    const res = await fetch(`${baseUrl}${CLOCK_PATH}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ to: at.toISOString() }) });
    if (!res.ok) throw new DemoError(`POST ${CLOCK_PATH} to ${at.toISOString()} answered ${res.status}: ${JSON.stringify(await readBody(res))}`);
  },
});

export interface WebhookReceiver {
  /** `http://127.0.0.1:<port>/securenet-webhooks` */
  readonly url: string;
  /** Deliveries received so far. */
  received(): number;
  close(): Promise<void>;
}

/** A loopback receiver that answers every delivery 200 (the demo's tenant webhook target when the stack allows local targets). */
export const startWebhookReceiver = async (): Promise<WebhookReceiver> => {
  let count = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      count += 1;
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/securenet-webhooks`,
    received: () => count,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};

/** The page signs in from the fragment; browsers know the loopback API as localhost (SPEC section 9). */
export const signInUrl = (baseUrl: string, token: string): string => `${baseUrl.replace('//127.0.0.1:', '//localhost:')}/#token=${token}`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const isoDay = (at: Date | string): string => new Date(at).toISOString().slice(0, 10);

const money = (minor: number, currency: string): string => `${(minor / 100).toFixed(2)} ${currency.toUpperCase()}`;

/** One tenant's view of the API (its token), with the calls the demo makes and the waits it needs. */
class TenantApi {
  constructor(
    readonly id: string,
    readonly token: string,
    private readonly apiBase: string,
    private readonly waitMs: number,
  ) {}

  async call(method: 'GET' | 'POST', path: string, json?: unknown): Promise<{ status: number; body: unknown }> {
    const res = await fetch(`${this.apiBase}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(json === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(json === undefined ? {} : { body: JSON.stringify(json) }),
    });
    return { status: res.status, body: await readBody(res) };
  }

  /** A call that must answer `expected`; anything else stops the demo with what the API said. */
  async ok<T>(method: 'GET' | 'POST', path: string, json?: unknown, expected = method === 'POST' && path.endsWith('/create') ? 201 : 200): Promise<T> {
    const { status, body } = await this.call(method, path, json);
    if (status !== expected) throw this.unexpected(method, path, status, body);
    return body as T;
  }

  private unexpected(method: string, path: string, status: number, body: unknown): DemoError {
    const hint = status === 401 ? ' (the stack refused the token: was it signed with the keys of another --data-dir?)' : '';
    return new DemoError(`${method} ${path} for ${this.id} answered ${status}${hint}: ${JSON.stringify(body)}`);
  }

  async subscription(): Promise<Subscription | null> {
    const { status, body } = await this.call('GET', '/subscriptions/current');
    if (status === 404) return null;
    if (status !== 200) throw this.unexpected('GET', '/subscriptions/current', status, body);
    return (body as { subscription: Subscription }).subscription;
  }

  async invoices(): Promise<InvoiceSummary[]> {
    return (await this.ok<{ invoices: InvoiceSummary[] }>('GET', '/invoices?limit=100')).invoices;
  }

  invoice(id: string): Promise<InvoiceDetail> {
    return this.ok<{ invoice: InvoiceDetail }>('GET', `/invoices/${id}`).then((b) => b.invoice);
  }

  usage(): Promise<CurrentUsage> {
    return this.ok<CurrentUsage>('GET', '/usage/current');
  }

  /**
   * Polls `probe` until it returns something (queues and webhooks run after the call that
   * caused them answered), 100 ms apart at first, then further apart up to 400 ms.
   */
  async until<T>(what: string, probe: () => Promise<T | null | undefined | false>): Promise<T> {
    const deadline = Date.now() + this.waitMs;
    for (let pause = 100; ; pause = Math.min(400, pause * 1.5)) {
      const found = await probe();
      if (found !== null && found !== undefined && found !== false) return found;
      if (Date.now() > deadline) throw new DemoError(`${this.id}: waited ${this.waitMs / 1000} s for ${what}`);
      await sleep(pause);
    }
  }

  untilStatus(statuses: readonly string[]): Promise<Subscription> {
    return this.until(`a subscription ${statuses.join(' or ')}`, async () => {
      const sub = await this.subscription();
      return sub && statuses.includes(sub.status) ? sub : null;
    });
  }

  /** Tracks records and waits until the usage queue has counted them (so they land in this period, not late in the next). */
  async track(records: readonly UsageRecord[]): Promise<void> {
    const before = await this.usage();
    const expected = new Map<string, number>();
    for (const r of records) {
      const sofar = expected.get(r.resource_type) ?? before.usage[r.resource_type]?.quantity ?? 0;
      expected.set(r.resource_type, GAUGES.has(r.resource_type) ? Math.max(sofar, r.usage_amount) : sofar + r.usage_amount);
    }
    await this.ok('POST', '/usage/track', { records }, 202);
    // The usage queue's consumer waits up to its one-second batching window before it counts anything.
    await sleep(USAGE_BATCHING_MS);
    await this.until('the tracked usage to be counted', async () => {
      const now = await this.usage();
      return [...expected].every(([resource, quantity]) => (now.usage[resource]?.quantity ?? 0) >= quantity);
    });
  }

  /** Waits for an invoice matching `match` (looking at each one's lines) and returns it. */
  untilInvoice(what: string, match: (invoice: InvoiceDetail) => boolean, seen: ReadonlySet<string> = new Set()): Promise<InvoiceDetail> {
    return this.until(what, async () => {
      for (const summary of await this.invoices()) {
        if (seen.has(summary.id)) continue;
        const detail = await this.invoice(summary.id);
        if (match(detail)) return detail;
      }
      return null;
    });
  }
}

interface UsageRecord {
  readonly resource_type: string;
  readonly usage_amount: number;
  readonly timestamp?: string;
}

const GAUGES: ReadonlySet<string> = new Set(['users', 'devices', 'storage_gb']);

/** A tenant's usual usage at one instant: gauges at their level, counters for a day or so. */
const usual = (scale: number, at?: Date): UsageRecord[] => {
  const stamp = at ? { timestamp: at.toISOString() } : {};
  return [
    { resource_type: 'users', usage_amount: Math.round(4 * scale), ...stamp },
    { resource_type: 'devices', usage_amount: Math.round(18 * scale), ...stamp },
    { resource_type: 'storage_gb', usage_amount: Math.round(2 * scale), ...stamp },
    { resource_type: 'api_calls', usage_amount: Math.round(250 * scale), ...stamp },
    { resource_type: 'alerts', usage_amount: Math.round(12 * scale), ...stamp },
  ];
};

/** One record set a day from `periodStart` (at most 30 days back) to `now`: gauges creep up, counters vary by day. */
const dailyRecords = (scale: number, periodStart: number, now: Date): UsageRecord[] => {
  const records: UsageRecord[] = [];
  const first = Math.max(periodStart, now.getTime() - 30 * DAY) + HOUR;
  for (let at = first, day = 1; at <= now.getTime(); at += DAY, day += 1) {
    const wobble = 0.6 + ((day * 7) % 5) / 10;
    for (const r of usual(scale * wobble, new Date(at))) records.push(GAUGES.has(r.resource_type) ? { ...r, usage_amount: Math.round(r.usage_amount * (0.8 + day / 50)) } : r);
  }
  return records;
};

/** How big each tenant is (a multiple of the starter-sized `usual`). */
const SCALE: Record<TenantKey, number> = { northwind: 1, brightline: 20, kastner: 8, lumen: 0.8, meridian: 12, harbour: 6 };

/** What the summary needs: the tenants' views of the API, the admin token, where the page is. */
interface DemoContext {
  readonly tenants: Record<TenantKey, TenantApi>;
  readonly adminToken: string;
  readonly baseUrl: string;
  readonly clock: DemoClock;
  readonly started: number;
}

/** Reads back, through the API, where each tenant stands now, and the admin overview's MRR. */
const summarize = async (
  ctx: DemoContext,
  input: { created: boolean; from: Date; stories: ReadonlyMap<TenantKey, readonly string[]>; webhook: DemoWebhookSummary | null },
): Promise<DemoSummary> => {
  const out: DemoTenantSummary[] = [];
  for (const key of TENANT_ORDER) {
    const t = ctx.tenants[key];
    const sub = await t.subscription();
    const invoices = sub ? await t.invoices() : [];
    out.push({
      id: t.id,
      name: PROFILES[key].name,
      country: PROFILES[key].address.country ?? '',
      currency: PROFILES[key].currency,
      plan: sub ? `${sub.plan_id} ${sub.billing_cycle}` : null,
      status: sub?.status ?? null,
      pendingChange: sub?.pending_change ? `${sub.pending_change.plan_id} ${sub.pending_change.billing_cycle} from ${isoDay(sub.pending_change.effective_at)}` : null,
      invoices: { total: invoices.length, paid: invoices.filter((i) => i.status === 'paid').length, open: invoices.filter((i) => i.status === 'open').length },
      story: input.stories.get(key) ?? [],
      token: t.token,
      signInUrl: signInUrl(ctx.baseUrl, t.token),
    });
  }
  const overview = await fetch(`${ctx.baseUrl}${API_PREFIX}/admin/overview`, { headers: { authorization: `Bearer ${ctx.adminToken}` } });
  if (!overview.ok) throw new DemoError(`GET /admin/overview answered ${overview.status}: ${JSON.stringify(await readBody(overview))}`);
  const { mrr } = (await overview.json()) as { mrr: Record<string, number> };
  const to = await ctx.clock.now();
  const report = await fetch(`${ctx.baseUrl}${API_PREFIX}/admin/reports/revenue?from=${input.from.toISOString().slice(0, 7)}&to=${to.toISOString().slice(0, 7)}`, {
    headers: { authorization: `Bearer ${ctx.adminToken}` },
  });
  if (!report.ok) throw new DemoError(`GET /admin/reports/revenue answered ${report.status}: ${JSON.stringify(await readBody(report))}`);
  const { months: revenue } = (await report.json()) as { months: DemoRevenueMonth[] };
  return {
    created: input.created,
    from: input.from.toISOString(),
    to: to.toISOString(),
    elapsedMs: Date.now() - ctx.started,
    tenants: out,
    admin: { token: ctx.adminToken, signInUrl: signInUrl(ctx.baseUrl, ctx.adminToken), mrr },
    revenue,
    webhook: input.webhook,
  };
};

/**
 * Makes the demo (see the README, "Demo data"): six tenants, about two and a half months of
 * simulated life. Returns what it made; if the tenants already exist, makes nothing and says so.
 * @example
 * const keys = await loadOrCreateKeys('.data/keys/jwt-es256.json');
 * const summary = await runDemo({ baseUrl: 'http://127.0.0.1:3000', issueToken: (r) => issueToken(keys, r) });
 */
export const runDemo = async (options: DemoOptions): Promise<DemoSummary> => {
  const started = Date.now();
  const clock = options.clock ?? httpClock(options.baseUrl);
  const log = options.log ?? (() => undefined);
  const apiBase = `${options.baseUrl}${API_PREFIX}`;
  const waitMs = options.waitMs ?? 30_000;
  const idOf = (key: TenantKey) => `demo-${key}${options.suffix ? `-${options.suffix}` : ''}`;
  const tenants = {} as Record<TenantKey, TenantApi>;
  for (const key of TENANT_ORDER) {
    const id = idOf(key);
    tenants[key] = new TenantApi(id, await options.issueToken({ tenantId: id, userId: `user-${id}` }), apiBase, waitMs);
  }
  const ctx: DemoContext = { tenants, adminToken: await options.issueToken({ userId: 'admin-demo', admin: true }), baseUrl: options.baseUrl, clock, started };
  const from = await clock.now();

  const first = await tenants.northwind.subscription();
  const last = await tenants.harbour.subscription();
  if (first && last) {
    log(`the demo exists (tenants ${idOf('northwind')} ... ${idOf('harbour')}); nothing made`);
    return summarize(ctx, { created: false, from, stories: new Map(), webhook: null });
  }
  if (first || last) {
    throw new DemoError(
      `an earlier demo run stopped half way (${first ? idOf('northwind') : idOf('harbour')} exists, ${first ? idOf('harbour') : idOf('northwind')} does not): make a separate demo with new tenant ids (npm run demo -- --again), or start over with npm start -- --reset`,
    );
  }

  let now = from;
  const stories = new Map<TenantKey, string[]>(TENANT_ORDER.map((k) => [k, []]));
  const note = (key: TenantKey, text: string, at: Date | string = now) => {
    stories.get(key)?.push(`${isoDay(at)}  ${text}`);
    log(`${isoDay(at)} ${idOf(key)}: ${text}`);
  };
  const advanceTo = async (at: Date) => {
    if (at.getTime() <= now.getTime()) return;
    log(`clock -> ${at.toISOString()}`);
    await clock.advanceTo(at);
    now = await clock.now();
  };
  /**
   * The usual usage of every subscribed tenant, plus `extra` records, all at once; each waits
   * until its records are counted (before the clock may close their period).
   */
  const trackWave = async (extra: Partial<Record<TenantKey, readonly UsageRecord[]>> = {}) => {
    const live = TENANT_ORDER.filter((key) => key !== 'harbour');
    await Promise.all(live.map((key) => tenants[key].track([...usual(SCALE[key]), ...(extra[key] ?? [])])));
  };
  const create = async (key: TenantKey, body: Record<string, unknown>) => {
    const p = PROFILES[key];
    await tenants[key].ok('POST', '/subscriptions/create', {
      name: p.name,
      email: p.email,
      address: p.address,
      currency: p.currency,
      ...(p.tax_ids ? { tax_ids: p.tax_ids } : {}),
      ...body,
    });
  };

  // Subscriptions start at 20 past the hour. The hourly overage run bills a period ending at
  // :55-:00 only after Stripe finalized the renewal draft (an hour after the period end), so
  // that overage waits for the next invoice; from :20 every overage lands on its own renewal.
  const aligned = new Date(now);
  aligned.setUTCMinutes(20, 0, 0);
  if (aligned.getTime() <= now.getTime()) aligned.setUTCHours(aligned.getUTCHours() + 1);
  await advanceTo(aligned);

  // Day 0. Northwind's webhook endpoint first, so its subscription.created is delivered too.
  let webhook: DemoWebhookSummary | null = null;
  const refused: string[] = [];
  for (const url of options.webhookUrls ?? []) {
    const { status, body } = await tenants.northwind.call('POST', '/webhooks/configure', { url, events: WEBHOOK_EVENTS });
    if (status === 201) {
      webhook = { tenantId: tenants.northwind.id, url, endpointId: (body as { webhook: { id: string } }).webhook.id, attempts: 0, succeeded: 0, enabled: true };
      note('northwind', `webhook endpoint ${url} for every event type`);
      break;
    }
    refused.push(`${url}: ${status} ${JSON.stringify(body)}`);
  }
  if (!webhook && refused.length > 0) webhook = { tenantId: tenants.northwind.id, url: null, refused };

  try {
    await Promise.all([
      create('northwind', { plan_id: 'starter', billing_cycle: 'monthly', trial_days: 14, payment_method: 'pm_card_visa' }),
      create('brightline', { plan_id: 'business', billing_cycle: 'monthly', trial_days: 0, payment_method: 'pm_card_visa' }),
      create('kastner', { plan_id: 'professional', billing_cycle: 'annual', trial_days: 0, payment_method: 'pm_card_visa' }),
      create('lumen', { plan_id: 'starter', billing_cycle: 'monthly', trial_days: 10, payment_method: 'pm_card_chargeCustomerFail' }),
      create('meridian', { plan_id: 'business', billing_cycle: 'monthly', trial_days: 0, payment_method: 'pm_card_visa' }),
    ]);
    note('northwind', 'Starter monthly (USD) with a 14-day trial, Visa on file');
    note('brightline', 'Business monthly (GBP), no trial; UK VAT 20% on every invoice');
    note('kastner', 'Professional annual (EUR), EU VAT ID DE123456789: reverse charge');
    note('lumen', 'Starter monthly (EUR) with a 10-day trial, on a card that will be declined; French VAT 20%');
    note('meridian', 'Business monthly (USD), no trial');
    const [, lumenTrial] = await Promise.all([
      tenants.northwind.untilStatus(['trialing']),
      tenants.lumen.untilStatus(['trialing']),
      ...(['brightline', 'kastner', 'meridian'] as const).map((key) => tenants[key].untilStatus(['active'])),
      trackWave(),
    ]);

    // Lumen's trial ends on a declining card: past due, Stripe retries, then a new card through Checkout.
    await advanceTo(new Date(Date.parse(lumenTrial.trial_end ?? '') + 2 * HOUR));
    await tenants.lumen.untilStatus(['past_due']);
    note('lumen', 'trial ended; the first charge was declined: past due, Stripe retries');
    await advanceTo(new Date(now.getTime() + DAY + HOUR));
    const failures = await tenants.lumen.until('the failed payment in the audit trail', async () => {
      const { events } = await tenants.lumen.ok<{ events: { type: string }[] }>('GET', '/events?type=stripe.invoice.payment_failed');
      return events.length > 0 ? events.length : null;
    });
    note('lumen', `${failures} declined attempt${failures === 1 ? '' : 's'} so far`);
    const setup = await tenants.lumen.ok<{ url: string }>('POST', '/payment-methods/setup', {});
    // What a person's browser does on the hosted Checkout page: pick Stripe's test Visa and submit.
    const picked = await fetch(setup.url, { method: 'POST', body: 'payment_method=pm_card_visa', headers: { 'content-type': 'application/x-www-form-urlencoded' }, redirect: 'manual' });
    if (picked.status >= 400) throw new DemoError(`the hosted Checkout page answered ${picked.status}: ${await picked.text()}`);
    await tenants.lumen.untilStatus(['active']);
    const recovered = await tenants.lumen.untilInvoice('the declined invoice paid with the new card', (i) => i.status === 'paid' && i.total > 0);
    note('lumen', `new Visa added through Stripe Checkout: the open invoice (${money(recovered.total, recovered.currency)} incl. ${money(recovered.tax, recovered.currency)} VAT) paid at once, active again`);

    // Northwind's trial ends: the first invoice is charged.
    const northwindTrial = await tenants.northwind.untilStatus(['trialing']);
    await advanceTo(new Date(Date.parse(northwindTrial.trial_end ?? '') + 2 * HOUR));
    await tenants.northwind.untilStatus(['active']);
    const firstPaid = await tenants.northwind.untilInvoice('the first invoice after the trial, paid', (i) => i.status === 'paid' && i.total > 0);
    note('northwind', `trial ended, first invoice ${money(firstPaid.total, firstPaid.currency)} paid`);

    // Meridian asks for a smaller plan (at its period end); Kastner and Brightline go over a quota.
    const downgrade = await tenants.meridian.ok<{ change: { kind: string; effective_at: string | null } }>('POST', '/subscriptions/update', { plan_id: 'professional' });
    note('meridian', `downgrade to Professional requested: takes effect at the period end, ${isoDay(downgrade.change.effective_at ?? now)} (no credit)`);
    await trackWave({ kastner: [{ resource_type: 'devices', usage_amount: 310 }], brightline: [{ resource_type: 'storage_gb', usage_amount: 120 }] });
    note('kastner', '310 devices on a 250-device plan');
    note('brightline', '120 GB stored on a 100 GB plan');

    // First renewals: Meridian on its new plan, Brightline with storage overage, Kastner's monthly overage invoice.
    const ends = await Promise.all([
      tenants.meridian.subscription().then((s) => Date.parse(s?.current_period_end ?? '')),
      tenants.brightline.subscription().then((s) => Date.parse(s?.current_period_end ?? '')),
      tenants.kastner.usage().then((u) => Date.parse(u.period.end)),
    ]);
    await advanceTo(new Date(Math.max(...ends.filter(Number.isFinite)) + 2 * HOUR));
    await tenants.meridian.until('the downgrade in effect', async () => ((await tenants.meridian.subscription())?.plan_id === 'professional' ? true : null));
    note('meridian', 'renewed on Professional: the downgrade took effect at the period end');
    const brightlineOverage = await tenants.brightline.untilInvoice('a renewal with the storage overage', (i) => i.status === 'paid' && i.lines.some((l) => l.kind === 'overage'));
    note('brightline', `renewed: ${money(brightlineOverage.total, brightlineOverage.currency)} paid, storage overage line included, ${money(brightlineOverage.tax, brightlineOverage.currency)} VAT`);
    const kastnerOverage = await tenants.kastner.untilInvoice('the monthly overage invoice', (i) => i.lines.some((l) => l.kind === 'overage'));
    note('kastner', `monthly overage invoice for the annual plan: ${money(kastnerOverage.total, kastnerOverage.currency)}${kastnerOverage.reverse_charge ? ', reverse charge (no VAT)' : ''}, ${kastnerOverage.status}`);

    // Northwind goes over its API-call quota; the renewal bills the overage.
    const northwindEnd = Date.parse((await tenants.northwind.subscription())?.current_period_end ?? '');
    await advanceTo(new Date(northwindEnd - 3 * DAY));
    await trackWave({ northwind: [{ resource_type: 'api_calls', usage_amount: 14_500 }] });
    const calls = (await tenants.northwind.usage()).usage.api_calls?.quantity ?? 0;
    note('northwind', `${calls.toLocaleString('en-US')} API calls this period on a 10,000-call plan (usage alerts at 80% and 100%)`);
    await advanceTo(new Date(northwindEnd + 2 * HOUR));
    const northwindOverage = await tenants.northwind.untilInvoice('the renewal with the API-call overage', (i) => i.status === 'paid' && i.lines.some((l) => l.kind === 'overage'));
    const overageLine = northwindOverage.lines.find((l) => l.kind === 'overage');
    note('northwind', `renewed: ${money(northwindOverage.total, northwindOverage.currency)} paid, of which ${money(overageLine?.amount ?? 0, northwindOverage.currency)} API-call overage`);
    // Lumen's own renewal came on the way (its trial ended four days before Northwind's), charged to the card it added.
    const lumenRenewal = await tenants.lumen.until('a renewal paid with the new card', async () =>
      (await tenants.lumen.invoices()).find((i) => i.billing_reason === 'subscription_cycle' && i.status === 'paid'),
    );
    note('lumen', `renewed on the new card: ${money(lumenRenewal.total, lumenRenewal.currency)} paid`, lumenRenewal.created_at);

    // Five days later Northwind outgrows Starter again and upgrades: prorated now, with the overage so far.
    await advanceTo(new Date(now.getTime() + 5 * DAY));
    const seen = new Set((await tenants.northwind.invoices()).map((i) => i.id));
    await trackWave({ northwind: [{ resource_type: 'api_calls', usage_amount: 11_750 }], brightline: [{ resource_type: 'storage_gb', usage_amount: 130 }] });
    const upgrade = await tenants.northwind.ok<{ change: { proration_amount: number; overage_amount?: number } }>('POST', '/subscriptions/update', { plan_id: 'professional' });
    const upgradeInvoice = await tenants.northwind.untilInvoice('the upgrade invoice, paid', (i) => i.status === 'paid' && i.lines.some((l) => l.kind === 'proration'), seen);
    note(
      'northwind',
      `upgraded to Professional: proration ${money(upgrade.change.proration_amount, 'usd')} plus ${money(upgrade.change.overage_amount ?? 0, 'usd')} overage on Starter's quotas, invoiced and paid at once (${money(upgradeInvoice.total, 'usd')})`,
    );

    // Brightline's second renewal (130 GB stored this time), then it asks to move down to Professional at the next one.
    note('brightline', '130 GB stored this period');
    const firstRenewal = new Set([brightlineOverage.id]);
    await advanceTo(new Date(Date.parse((await tenants.brightline.subscription())?.current_period_end ?? '') + 2 * HOUR));
    const secondRenewal = await tenants.brightline.untilInvoice(
      'the second renewal, with storage overage',
      (i) => i.billing_reason === 'subscription_cycle' && i.status === 'paid' && i.lines.some((l) => l.kind === 'overage'),
      firstRenewal,
    );
    note('brightline', `renewed again: ${money(secondRenewal.total, secondRenewal.currency)} paid, storage overage included`);
    const pending = await tenants.brightline.ok<{ change: { effective_at: string | null } }>('POST', '/subscriptions/update', { plan_id: 'professional' });
    note('brightline', `downgrade to Professional requested: scheduled for ${isoDay(pending.change.effective_at ?? now)} (pending)`);

    // Harbour starts a trial without a card: it ends within the week (the admin overview lists it).
    await create('harbour', { plan_id: 'professional', billing_cycle: 'monthly', trial_days: 10 });
    await tenants.harbour.untilStatus(['trialing']);
    note('harbour', 'Professional monthly (EUR) trial of 10 days, no card yet; Irish VAT 23% once it pays');

    // Six more days (Lumen's next renewal is a day or more after that), then this period's daily
    // usage for the usage tab: one record set per day since the period began.
    const lumenEnd = Date.parse((await tenants.lumen.subscription())?.current_period_end ?? '');
    await advanceTo(new Date(Math.min(now.getTime() + 6 * DAY, lumenEnd - 2 * HOUR)));
    // Northwind, on Professional now, uses six times what it did on Starter.
    const grown = (key: TenantKey) => SCALE[key] * (key === 'northwind' ? 6 : 1);
    await Promise.all(TENANT_ORDER.map(async (key) => tenants[key].track(dailyRecords(grown(key), Date.parse((await tenants[key].usage()).period.start), now))));
    for (const key of TENANT_ORDER) note(key, 'this period so far: daily usage of every resource');

    if (webhook) webhook = await settleWebhook(tenants.northwind, webhook);
  } finally {
    // The receiver goes away with the caller: leave nothing to retry against a closed port.
    if (options.disableWebhookAtEnd && webhook?.url) {
      const { status, body } = await tenants.northwind.call('POST', '/webhooks/configure', { id: webhook.endpointId, enabled: false });
      if (status === 200) webhook = { ...webhook, enabled: false };
      else log(`could not disable the webhook endpoint ${webhook.endpointId}: ${status} ${JSON.stringify(body)}`);
    }
  }
  return summarize(ctx, { created: true, from, stories, webhook });
};

/** Waits until the webhook queue has stopped adding attempts (deliveries run after the events that cause them), then counts them. */
const settleWebhook = async (tenant: TenantApi, webhook: DemoWebhookSummary): Promise<DemoWebhookSummary> => {
  if (webhook.url === null) return webhook;
  const read = async () => {
    const all: { endpoint_id: string; status: string }[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 20; page += 1) {
      const body: { deliveries: typeof all; next_cursor: string | null } = await tenant.ok('GET', `/webhooks/deliveries?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      all.push(...body.deliveries);
      cursor = body.next_cursor;
      if (!cursor) break;
    }
    return all.filter((d) => d.endpoint_id === webhook.endpointId);
  };
  let previous = -1;
  let attempts = await read();
  for (let stable = 0, round = 0; stable < 5 && round < 100; round += 1) {
    await sleep(200);
    attempts = await read();
    stable = attempts.length === previous ? stable + 1 : 0;
    previous = attempts.length;
  }
  return { ...webhook, attempts: attempts.length, succeeded: attempts.filter((a) => a.status === 'succeeded').length };
};

const amounts = (byCurrency: Record<string, number>) =>
  Object.entries(byCurrency)
    .map(([currency, minor]) => `${(minor / 100).toFixed(2)} ${currency.toUpperCase()}`)
    .join(', ') || 'none';

/**
 * What a demo made, as lines to print (`npm run demo`, `npm start -- --demo`): each tenant with its
 * sign-in link, the admin's, and the tenant webhook. `receiver`: the demo's own loopback receiver
 * was used (it lives as long as the command that started it).
 */
export const describeDemo = (summary: DemoSummary, options: { readonly receiver: boolean }): string[] => {
  const lines: string[] = [
    summary.created
      ? `\nDemo made in ${(summary.elapsedMs / 1000).toFixed(1)} s: simulated ${summary.from} -> ${summary.to}.`
      : `\nThe demo exists already (nothing made; npm run demo -- --again makes a second one with new tenant ids).`,
  ];
  for (const t of summary.tenants) {
    lines.push(`\n${t.name} (${t.id}, ${t.country}, ${t.currency.toUpperCase()}): ${t.plan ?? 'no subscription'}, ${t.status ?? '-'}${t.pendingChange ? `, changing to ${t.pendingChange}` : ''}`);
    lines.push(`  invoices: ${t.invoices.total} (${t.invoices.paid} paid, ${t.invoices.open} open)`);
    lines.push(`  sign in: ${t.signInUrl}`);
  }
  lines.push(`\nAdmin (the Admin tab: MRR ${amounts(summary.admin.mrr)}):\n  sign in: ${summary.admin.signInUrl}`);
  const moved = summary.revenue.filter((r) => r.invoiced.invoices > 0 || r.mrr.starting !== r.mrr.ending);
  if (moved.length > 0) {
    lines.push('  revenue report (GET /api/billing/admin/reports/revenue; the Admin tab\'s Revenue section):');
    for (const r of moved) {
      const moves = (['new', 'expansion', 'contraction', 'churn', 'reactivation'] as const).filter((k) => r.mrr[k] > 0).map((k) => `${k} ${amounts({ [r.currency]: r.mrr[k] })}`);
      lines.push(
        `    ${r.month} ${r.currency.toUpperCase()}: MRR ${amounts({ [r.currency]: r.mrr.ending })}${moves.length ? ` (${moves.join(', ')})` : ''}; invoiced ${amounts({ [r.currency]: r.invoiced.total })} on ${r.invoiced.invoices} invoice(s)${r.invoiced.usage ? `, usage ${amounts({ [r.currency]: r.invoiced.usage })}` : ''}`,
      );
    }
  }
  const webhook = summary.webhook;
  if (webhook && webhook.url !== null) {
    lines.push(
      `\nTenant webhook of ${webhook.tenantId}: ${webhook.url}, ${webhook.attempts} deliveries (${webhook.succeeded} succeeded; GET /api/billing/webhooks/deliveries).` +
        (webhook.enabled
          ? ''
          : `\n  Its receiver was this command, so the endpoint is now disabled (POST /api/billing/webhooks/configure {"id": "${webhook.endpointId}", "url": "https://...", "enabled": true} points it elsewhere).`),
    );
  } else if (webhook) {
    lines.push(
      `\nNo tenant webhook: the stack refused ${webhook.refused.join('; ')}.` +
        (options.receiver ? `\n  npm start -- --allow-local-webhooks lets the demo's loopback receiver through; or give an https receiver of your own with --webhook-url.` : ''),
    );
  }
  lines.push(`\nTokens last 12 h; more with npm run token -- --tenant ${summary.tenants[0]?.id ?? 'demo-northwind'}.`);
  return lines;
};
