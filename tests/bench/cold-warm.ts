/**
 * Warm latency of the hot routes, for `npm run bench:cold`: the local stack in this process,
 * sequential requests over loopback HTTP after a warm-up, and the same routes with the handler
 * export called directly (no HTTP server, no JWT check), to separate handler time from the rest.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API_PREFIX, type Route } from '../../contracts/routes';
import { createBillingClient } from '../../packages/client';
import { SimulatedClock } from '../../local/clock';
import { issueToken } from '../../local/jwt';
import { localContext } from '../../local/lambda';
import { startLocalStack, type LocalStack } from '../../local/stack';
import { gatewayEvent, loadGroupHandler, routeFor, tenantClaims } from './support/gateway';

export interface WarmConfig {
  readonly warmUp: number;
  readonly samples: number;
  readonly clockStart: Date;
}

/** One hot call: a route of the table, a body, the status it must answer. */
interface HotCall {
  readonly label: string;
  readonly method: Route['method'];
  readonly path: string;
  readonly body?: unknown;
  readonly status: number;
}

export interface WarmResult {
  readonly label: string;
  /** Client-observed latency over HTTP, ms. */
  readonly http: readonly number[];
  /** The handler export called in-process with a built event, ms. */
  readonly handler: readonly number[];
}

const TENANT = 'org-bench-cold';

const records = (n: number) => ({
  records: Array.from({ length: n }, (_, i) => ({ resource_type: i % 2 === 0 ? 'api_calls' : 'alerts', usage_amount: 1 + (i % 5) })),
});

const HOT_CALLS: readonly HotCall[] = [
  { label: 'GET  /plans', method: 'GET', path: '/plans', status: 200 },
  { label: 'GET  /subscriptions/current', method: 'GET', path: '/subscriptions/current', status: 200 },
  { label: 'POST /usage/track (1 record)', method: 'POST', path: '/usage/track', body: { resource_type: 'api_calls', usage_amount: 1 }, status: 202 },
  { label: 'POST /usage/track (100 records)', method: 'POST', path: '/usage/track', body: records(100), status: 202 },
  { label: 'GET  /usage/current', method: 'GET', path: '/usage/current', status: 200 },
  { label: 'GET  /entitlements', method: 'GET', path: '/entitlements', status: 200 },
  { label: 'GET  /invoices', method: 'GET', path: '/invoices', status: 200 },
];

/** Powertools output the handlers write during the warm phase, dropped so the report stays readable. */
export interface DroppedOutput {
  /** CloudWatch embedded-metric-format lines (stdout): serialized as in Lambda, just not printed. */
  emfLines: number;
  /** Powertools Metrics' "No application metrics to publish" warnings (stderr), one per flush with nothing to publish. */
  emptyMetricWarnings: number;
}

const EMF_PREFIX = '{"_aws":';
const EMPTY_METRICS_WARNING = 'No application metrics to publish';

/** Wraps `stream.write` to drop what `drop` matches; returns the function that restores it. */
const dropWrites = (stream: NodeJS.WriteStream, drop: (text: string) => boolean): (() => void) => {
  const original = stream.write;
  const write = (chunk: Uint8Array | string, ...rest: unknown[]): boolean => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    if (drop(text)) {
      const callback = rest.find((r): r is () => void => typeof r === 'function');
      callback?.();
      return true;
    }
    return (original as (...args: unknown[]) => boolean).apply(stream, [chunk, ...rest]);
  };
  stream.write = write as unknown as typeof stream.write;
  return () => {
    stream.write = original;
  };
};

const routeOf = (call: HotCall): Route => routeFor(call.method, call.path);

const timed = async (times: number, warmUp: number, once: () => Promise<void>): Promise<number[]> => {
  for (let i = 0; i < warmUp; i += 1) await once();
  const out: number[] = [];
  for (let i = 0; i < times; i += 1) {
    const started = performance.now();
    await once();
    out.push(performance.now() - started);
  }
  return out;
};

const measureRoutes = async (stack: LocalStack, config: WarmConfig, progress: (line: string) => void): Promise<WarmResult[]> => {
  const token = await issueToken(stack.keys, { tenantId: TENANT });
  // The typed client's raw requests: the measured route, its status and body as they came (no retries).
  const client = createBillingClient({ baseUrl: `${stack.apiUrl}${API_PREFIX}`, token: () => token });

  await client.call('createSubscription', {
    body: { address: { country: 'US', postal_code: '94107' }, plan_id: 'starter', billing_cycle: 'monthly', trial_days: 0, payment_method: 'pm_card_visa' },
  });
  await stack.settle();
  const { invoices } = await client.call('listInvoices');
  if (invoices.length === 0) throw new Error('the subscription produced no invoice: GET /invoices would measure an empty list');

  const claims = tenantClaims(TENANT);
  const results: WarmResult[] = [];
  for (const hot of HOT_CALLS) {
    const route = routeOf(hot);
    progress(`warm: ${hot.label}...`);
    const http = await timed(config.samples, config.warmUp, async () => {
      const res = await client.raw({ method: hot.method, path: hot.path, ...(hot.body === undefined ? {} : { json: hot.body }) });
      const text = res.text;
      if (res.status !== hot.status) throw new Error(`${hot.label} answered ${res.status}, not ${hot.status}: ${text.slice(0, 300)}`);
    });
    await stack.settle();
    const handler = await loadGroupHandler(route.group);
    const direct = await timed(config.samples, config.warmUp, async () => {
      const event = gatewayEvent(route, hot.body, route.auth === 'public' ? null : claims);
      // A fresh context per call, as API Gateway's 29 s integration timeout starts anew each time.
      const result = await handler(event, localContext(`bench-${route.group}`, 29_000));
      if (result.statusCode !== hot.status) throw new Error(`${hot.label} (handler) answered ${String(result.statusCode)}: ${String(result.body).slice(0, 300)}`);
    });
    await stack.settle();
    results.push({ label: hot.label, http, handler: direct });
  }
  return results;
};

/**
 * Starts the local stack (in-memory DynamoDB Local, frozen clock, temp data dir), measures, stops
 * it and deletes the data dir. The per-tenant limits are raised first: they are read once, at
 * first use, and a sequential bench would otherwise measure 429s.
 */
export const measureWarm = async (
  config: WarmConfig,
  progress: (line: string) => void,
  /** Told how to stop the stack while it runs (the caller's watchdog or Ctrl-C uses it). */
  onRunning: (stop: () => Promise<void>) => void,
): Promise<{ results: WarmResult[]; dropped: DroppedOutput }> => {
  process.env.RATE_LIMIT_REQUESTS_PER_MINUTE = '100000000';
  process.env.RATE_LIMIT_RECORDS_PER_SECOND = '100000000';
  const dataDir = mkdtempSync(join(tmpdir(), 'securenet-bench-cold-'));
  let stack: LocalStack | undefined;
  const stop = async (): Promise<void> => {
    const s = stack;
    stack = undefined;
    if (s) await s.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    progress('warm: starting the local stack (DynamoDB Local in memory, SQS, Stripe, HTTP API)...');
    stack = await startLocalStack({ port: 0, dataDir, inMemory: true, clock: new SimulatedClock({ start: config.clockStart, frozen: true }) });
    onRunning(stop);
    const dropped: DroppedOutput = { emfLines: 0, emptyMetricWarnings: 0 };
    const restoreStdout = dropWrites(process.stdout, (text) => {
      if (!text.startsWith(EMF_PREFIX)) return false;
      dropped.emfLines += 1;
      return true;
    });
    const restoreStderr = dropWrites(process.stderr, (text) => {
      if (!text.includes(EMPTY_METRICS_WARNING)) return false;
      dropped.emptyMetricWarnings += 1;
      return true;
    });
    try {
      return { results: await measureRoutes(stack, config, progress), dropped };
    } finally {
      restoreStdout();
      restoreStderr();
    }
  } finally {
    await stop();
  }
};
