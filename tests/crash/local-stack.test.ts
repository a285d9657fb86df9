/**
 * The local stack keeps what it acknowledged across kill -9 (issue 13, item 6). It runs
 * `bin/start.ts` as a child process, like `npm start`, on a temp data dir and free ports, and
 * kills it with SIGKILL twice: once mid-ingest (usage requests in flight, the usage queue holding
 * records the aggregator has not counted yet) and once mid-overage-run (a clock advance across the
 * period end under way, Stripe answering slowly so some overage items exist in Stripe and the
 * rest do not). After each restart, without --reset, every record that got a 202 is counted
 * exactly once, and every overage is billed exactly once with Stripe and our table agreeing.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetQueueAttributesCommand, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import Stripe from 'stripe';
import { afterAll, describe, expect, it } from 'vitest';
import { findPlan, overageRateMilli } from '../../src/domain/catalog';
import { overageAmount } from '../../src/domain/overage';
import { OverageRepository } from '../../src/adapters/dynamodb/overages';
import { UsageRepository } from '../../src/adapters/dynamodb/usage';
import { API_PREFIX } from '../../contracts/routes';
import { LOCAL_AWS_ENV } from '../../local/dynamodb-local';
import { issueToken, loadOrCreateKeys, type LocalKeys } from '../../local/jwt';
import { freePort } from '../../local/ports';
import { createLocalSqsClient } from '../../local/sqs';
import { LOCAL_STRIPE_KEY, LOCAL_TABLE_NAME, REPO_ROOT } from '../../local/stack';

const TENANTS = ['crash-t1', 'crash-t2', 'crash-t3'];
/** Per tenant: keyed requests of api_calls (20 records x 30 = 600 each: 14,400, over Starter's 10,000). */
const KEYED_PER_TENANT = 24;
const KEYED_RECORDS = 20;
const KEYED_AMOUNT = 30;
/** Per tenant: requests of alerts without an Idempotency-Key, each a distinct total (over Starter's 1,000 in all). */
const UNKEYED_PER_TENANT = 12;
const IN_FLIGHT = 6;
/** Kill the first stack once this many requests got their 202. */
const KILL_AFTER_ACKS = 40;
/** Stripe answers this slowly in the second stack, so the overage run is caught half done. */
const STRIPE_LATENCY_MS = 100;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Child {
  readonly process: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

interface Ports {
  api: number;
  dynamo: number;
  stripe: number;
  sqs: number;
}

/** Whatever the stack needs from the environment, and nothing a test in this worker may have set. */
const childEnv = (ports: Ports): NodeJS.ProcessEnv => {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'JAVA_HOME', 'LANG', 'CHROMIUM_PATH'];
  return {
    ...Object.fromEntries(keep.flatMap((k) => (process.env[k] === undefined ? [] : [[k, process.env[k]]]))),
    PORT: String(ports.api),
    DYNAMODB_LOCAL_PORT: String(ports.dynamo),
    STRIPE_LOCAL_PORT: String(ports.stripe),
    SQS_LOCAL_PORT: String(ports.sqs),
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    POWERTOOLS_METRICS_DISABLED: 'true',
  };
};

const spawned: Child[] = [];

/** `npm start` without npm: one node process (so SIGKILL hits the stack itself), its own process group. */
const startStack = async (dataDir: string, ports: Ports, extra: string[] = []): Promise<Child> => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bin/start.ts', '--data-dir', dataDir, ...extra], {
    cwd: REPO_ROOT,
    env: childEnv(ports),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  const since = Date.now();
  // Each chunk stamped with the seconds since this start, for reading a failure.
  const collect = (d: Buffer) => (out += `[+${((Date.now() - since) / 1000).toFixed(1)}s] ${d.toString()}`);
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const handle: Child = { process: child, output: () => out, exited };
  spawned.push(handle);
  const deadline = Date.now() + 60_000;
  while (!out.includes('SecureNet Billing is running locally.')) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the stack exited while starting:\n${out}`);
    if (Date.now() > deadline) throw new Error(`the stack did not start within 60 s:\n${out}`);
    await sleep(50);
  }
  return handle;
};

const kill9 = async (child: Child): Promise<void> => {
  child.process.kill('SIGKILL');
  await child.exited;
};

interface Outcome {
  readonly status: number | null;
}

describe('the local stack after kill -9', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'securenet-crash-'));

  afterAll(async () => {
    for (const child of spawned) {
      if (child.process.exitCode === null && child.process.signalCode === null) {
        child.process.kill('SIGTERM');
        await Promise.race([child.exited, sleep(10_000)]);
      }
      // The whole group: a DynamoDB Local orphaned by a SIGKILL included.
      try {
        if (child.process.pid) process.kill(-child.process.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('counts every acknowledged record once and bills every overage once, across two crashes', { timeout: 180_000 }, async () => {
    const started = Date.now();
    const timings: Record<string, number> = {};
    const mark = (name: string) => (timings[name] = Math.round((Date.now() - started) / 100) / 10);
    const ports: Ports = { api: await freePort(), dynamo: await freePort(), stripe: await freePort(), sqs: await freePort() };
    const api = `http://127.0.0.1:${ports.api}${API_PREFIX}`;

    // ---- 1. The first stack: subscribe the tenants, then ingest and kill -9 mid-way.
    let stack = await startStack(dataDir, ports);
    mark('first start');
    const keys: LocalKeys = await loadOrCreateKeys(join(dataDir, 'keys', 'jwt-es256.json'));
    const tokens = new Map<string, string>();
    for (const tenant of TENANTS) tokens.set(tenant, await issueToken(keys, { tenantId: tenant }));
    const adminToken = await issueToken(keys, { userId: 'crash-admin', admin: true });
    const call = (path: string, token: string, init: { json?: unknown; headers?: Record<string, string> } = {}) =>
      fetch(`${api}${path}`, {
        method: init.json === undefined ? 'GET' : 'POST',
        headers: { authorization: `Bearer ${token}`, ...(init.json === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
        ...(init.json === undefined ? {} : { body: JSON.stringify(init.json) }),
      });

    await Promise.all(
      TENANTS.map(async (tenant) => {
        const res = await call('/subscriptions/create', tokens.get(tenant) ?? '', {
          json: { address: { country: 'US', postal_code: '94107' }, plan_id: 'starter', billing_cycle: 'monthly', trial_days: 0, payment_method: 'pm_card_visa' },
        });
        expect(res.status, await res.clone().text()).toBe(201);
      }),
    );
    mark('subscribed');

    // The requests: keyed ones (api_calls) and unkeyed ones (alerts, each a distinct total).
    interface Req {
      readonly tenant: string;
      readonly key: string | null;
      readonly body: { records: { resource_type: string; usage_amount: number }[] };
      readonly total: number;
    }
    const requests: Req[] = [];
    for (let i = 0; i < Math.max(KEYED_PER_TENANT, UNKEYED_PER_TENANT); i += 1) {
      for (const [t, tenant] of TENANTS.entries()) {
        if (i < KEYED_PER_TENANT) {
          requests.push({
            tenant,
            key: `crash-${tenant}-${i}`,
            body: { records: Array.from({ length: KEYED_RECORDS }, () => ({ resource_type: 'api_calls', usage_amount: KEYED_AMOUNT })) },
            total: KEYED_RECORDS * KEYED_AMOUNT,
          });
        }
        if (i < UNKEYED_PER_TENANT) {
          // 10 records adding up to 100 + a number unique in the run: a subset of unknown outcomes can be told apart.
          const total = 100 + i * TENANTS.length + t;
          const records = Array.from({ length: 10 }, (_, r) => ({ resource_type: 'alerts', usage_amount: r === 0 ? total - 9 * 10 : 10 }));
          requests.push({ tenant, key: null, body: { records }, total });
        }
      }
    }
    const outcomes = new Map<Req, Outcome>();
    const send = async (req: Req): Promise<Outcome> => {
      try {
        const res = await call('/usage/track', tokens.get(req.tenant) ?? '', { json: req.body, ...(req.key ? { headers: { 'idempotency-key': req.key } } : {}) });
        await res.arrayBuffer();
        return { status: res.status };
      } catch {
        return { status: null };
      }
    };

    let acks = 0;
    let next = 0;
    let killed = false;
    const killing = (async () => {
      while (acks < KILL_AFTER_ACKS) await sleep(2);
      killed = true;
      await kill9(stack);
    })();
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (!killed && next < requests.length) {
          const req = requests[next];
          next += 1;
          if (!req) break;
          const outcome = await send(req);
          outcomes.set(req, outcome);
          if (outcome.status === 202) acks += 1;
          else if (outcome.status !== null) throw new Error(`usage/track answered ${outcome.status} before the kill`);
        }
      }),
    );
    await killing;
    mark('killed mid-ingest');
    const ackedBeforeKill = [...outcomes.values()].filter((o) => o.status === 202).length;
    const failedAtKill = [...outcomes.entries()].filter(([, o]) => o.status !== 202).map(([r]) => r);
    expect(ackedBeforeKill).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);

    // ---- 2. The second stack (Stripe answering slowly, for step 3): finish the ingest.
    stack = await startStack(dataDir, ports, ['--stripe-latency', String(STRIPE_LATENCY_MS)]);
    mark('second start');
    // Keyed requests whose fate the kill hid are retried with their key until they get a 202; a
    // 409 means the first attempt's idempotency record is still in progress (until its Lambda
    // timeout runs out, as in AWS). Unkeyed ones are not retried: their records may or may not count.
    const retry = async (req: Req): Promise<void> => {
      for (const deadline = Date.now() + 60_000; ; await sleep(500)) {
        const outcome = await send(req);
        if (outcome.status === 202) {
          outcomes.set(req, outcome);
          return;
        }
        if (outcome.status !== 409 || Date.now() > deadline) throw new Error(`retrying ${req.key} answered ${outcome.status}`);
      }
    };
    const notSent = requests.filter((r) => !outcomes.has(r));
    // Some that did get their 202 are sent again too (a client that lost the answer): replayed, counted once.
    const ackedKeyed = requests.filter((r) => r.key !== null && outcomes.get(r)?.status === 202).slice(0, 5);
    await Promise.all([
      ...failedAtKill.filter((r) => r.key !== null).map(retry),
      ...ackedKeyed.map(retry),
      ...Array.from({ length: IN_FLIGHT }, async () => {
        for (let req = notSent.shift(); req; req = notSent.shift()) {
          const outcome = await send(req);
          if (outcome.status !== 202) throw new Error(`usage/track answered ${outcome.status} after the restart`);
          outcomes.set(req, outcome);
        }
      }),
    ]);
    mark('ingest finished');

    // Everything the usage queue holds gets counted: wait until it is empty.
    const sqs = createLocalSqsClient(`http://127.0.0.1:${ports.sqs}`);
    const queueUrl = async (name: string) => (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl ?? '';
    const drained = async (name: string, limitMs = 60_000) => {
      const url = await queueUrl(name);
      for (const deadline = Date.now() + limitMs; ; await sleep(200)) {
        const { Attributes: a = {} } = await sqs.send(
          new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
        );
        if (a.ApproximateNumberOfMessages === '0' && a.ApproximateNumberOfMessagesNotVisible === '0') return;
        if (Date.now() > deadline) throw new Error(`queue ${name} not drained: ${JSON.stringify(a)}`);
      }
    };
    await drained('usage');
    mark('usage counted');

    interface UsageView {
      period: { start: string; end: string };
      usage: Record<string, { quantity: number; included: number; overage: number; overage_amount: number }>;
    }
    const current = async (tenant: string): Promise<UsageView> => {
      const res = await call('/usage/current', tokens.get(tenant) ?? '');
      expect(res.status).toBe(200);
      return (await res.json()) as UsageView;
    };
    const counted = new Map<string, UsageView>();
    for (const tenant of TENANTS) {
      const view = await current(tenant);
      counted.set(tenant, view);
      const mine = requests.filter((r) => r.tenant === tenant);
      // Every keyed request got its 202 (before the kill or on retry) and counts exactly once.
      expect(mine.filter((r) => r.key !== null).every((r) => outcomes.get(r)?.status === 202)).toBe(true);
      expect(view.usage.api_calls?.quantity, `${tenant} api_calls`).toBe(KEYED_PER_TENANT * KEYED_RECORDS * KEYED_AMOUNT);
      // Every unkeyed request with a 202 counts once; of those the kill cut off, each counts once or not at all.
      const acked = mine.filter((r) => r.key === null && outcomes.get(r)?.status === 202).reduce((sum, r) => sum + r.total, 0);
      const unknown = mine.filter((r) => r.key === null && outcomes.get(r)?.status !== 202).map((r) => r.total);
      const extra = (view.usage.alerts?.quantity ?? 0) - acked;
      const subsetSums = unknown.reduce<number[]>((sums, t) => [...sums, ...sums.map((s) => s + t)], [0]);
      expect(subsetSums, `${tenant} alerts: ${view.usage.alerts?.quantity} counted, ${acked} acknowledged, unknown ${unknown.join(', ')}`).toContain(extra);
    }
    mark('ingest verified');

    // ---- 3. The overage run: advance the clock across the period end and kill -9 mid-run.
    const stripeState = join(dataDir, 'stripe.json');
    const overageItemsOnDisk = (): number => {
      try {
        const state = JSON.parse(readFileSync(stripeState, 'utf8')) as { invoiceItems: { metadata?: Record<string, string> }[] };
        return state.invoiceItems.filter((i) => i.metadata?.kind === 'overage').length;
      } catch {
        return 0;
      }
    };
    const clockRes = await fetch(`http://127.0.0.1:${ports.api}/__local/clock`);
    const before = new Date(((await clockRes.json()) as { now: string }).now);
    const target = new Date(before.getTime() + 32 * 86_400_000);
    const advancing = fetch(`http://127.0.0.1:${ports.api}/__local/clock`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ to: target.toISOString() }),
    }).then(
      (res) => res.status,
      () => null,
    );
    const expectedItems = TENANTS.length * 2;
    for (const deadline = Date.now() + 60_000; overageItemsOnDisk() < 1; await sleep(10)) {
      if (Date.now() > deadline) throw new Error(`no overage item reached Stripe within 60 s:\n${stack.output().slice(-4000)}`);
    }
    const itemsAtKill = overageItemsOnDisk();
    await kill9(stack);
    mark('killed mid-overage-run');
    expect(await advancing).toBeNull();
    // The kill caught the run half done: some items in Stripe, not all.
    expect(itemsAtKill).toBeLessThan(expectedItems);

    // ---- 4. The third stack finishes the interrupted advance at start, and the overage run with it.
    stack = await startStack(dataDir, ports);
    mark('third start (advance resumed)');
    expect(stack.output()).toContain('finishing the clock advance');
    const now = new Date(((await (await fetch(`http://127.0.0.1:${ports.api}/__local/clock`)).json()) as { now: string }).now);
    expect(now.getTime()).toBeGreaterThanOrEqual(target.getTime());

    const endpoint = `http://127.0.0.1:${ports.dynamo}`;
    const base = new DynamoDBClient({
      endpoint,
      region: LOCAL_AWS_ENV.AWS_REGION,
      credentials: { accessKeyId: LOCAL_AWS_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: LOCAL_AWS_ENV.AWS_SECRET_ACCESS_KEY },
    });
    const table = { client: DynamoDBDocumentClient.from(base, { marshallOptions: { removeUndefinedValues: true } }), base, tableName: LOCAL_TABLE_NAME };
    const periods = new UsageRepository(table);
    const overages = new OverageRepository(table);
    const stripe = new Stripe(LOCAL_STRIPE_KEY, { host: '127.0.0.1', port: ports.stripe, protocol: 'http' });
    try {
      for (const deadline = Date.now() + 60_000; ; await sleep(250)) {
        const statuses = await Promise.all(TENANTS.map(async (t) => (await periods.getPeriod(t, counted.get(t)?.period.start ?? ''))?.status));
        if (statuses.every((s) => s === 'billed')) break;
        if (Date.now() > deadline) throw new Error(`periods not billed: ${statuses.join(', ')}\n${stack.output().slice(-4000)}`);
      }
      await drained('overage');
      mark('overage run finished');

      const items: Stripe.InvoiceItem[] = [];
      for await (const item of stripe.invoiceItems.list({ limit: 100 })) if (item.metadata?.kind === 'overage') items.push(item);
      expect(items).toHaveLength(expectedItems);
      const plan = findPlan('starter');
      for (const tenant of TENANTS) {
        const view = counted.get(tenant);
        if (!view || !plan) throw new Error('no usage view');
        const lines = await overages.lines(tenant, view.period.start);
        expect(lines.map((l) => l.resource).sort()).toEqual(['alerts', 'api_calls']);
        for (const line of lines) {
          const quantity = BigInt(view.usage[line.resource]?.quantity ?? -1);
          const included = BigInt(plan.limits[line.resource]);
          // Billed on exactly what was counted, once.
          expect(line.quantity).toBe(quantity);
          expect(line.amount).toBe(overageAmount(quantity - included, overageRateMilli('usd', line.resource)));
          const inStripe = items.filter((i) => i.metadata?.tenant_id === tenant && i.metadata.resource_type === line.resource);
          expect(inStripe, `${tenant} ${line.resource}: one Stripe item`).toHaveLength(1);
          expect(inStripe[0]?.id).toBe(line.stripe_invoice_item_id);
          expect(BigInt(inStripe[0]?.amount ?? -1)).toBe(line.amount);
          expect(inStripe[0]?.metadata?.period_start).toBe(view.period.start);
        }
      }
      // Each due thing happened once: one renewal per subscription, not two.
      const invoices: Stripe.Invoice[] = [];
      for await (const invoice of stripe.invoices.list({ limit: 100 })) invoices.push(invoice);
      const renewals = invoices.filter((i) => i.billing_reason === 'subscription_cycle');
      expect(renewals).toHaveLength(TENANTS.length);
      expect(new Set(renewals.map((i) => i.customer)).size).toBe(TENANTS.length);
      mark('verified');
    } finally {
      base.destroy();
    }

    // The admin run agrees: nothing is left to bill.
    const dry = await call('/admin/usage/process-overages', adminToken, { json: { dry_run: true } });
    expect(dry.status).toBe(200);
    expect(((await dry.json()) as { periods_billed: number }).periods_billed).toBe(0);

    console.log(
      `crash test: ${ackedBeforeKill} of ${requests.length} requests acknowledged before the first kill, ` +
        `${failedAtKill.length} cut off; ${itemsAtKill} of ${expectedItems} overage items in Stripe at the second kill; ` +
        `stripe.json ${Math.round(statSync(stripeState).size / 1024)} KiB, sqs journal ${Math.round(statSync(join(dataDir, 'sqs', 'journal.ndjson')).size / 1024)} KiB; ` +
        `timings (s): ${JSON.stringify(timings)}`,
    );
    if (process.env.CRASH_TEST_VERBOSE) console.log(spawned.map((c) => c.output()).join('\n=====\n'));
    // A clean stop for the last stack (Ctrl-C path).
    stack.process.kill('SIGTERM');
    expect(await stack.exited).toBe(0);
  });
});
