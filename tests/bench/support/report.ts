import { cpus, platform, release, totalmem } from 'node:os';
import type { SqsStats } from '../../../local/sqs';
import type { DynamoUsage } from './dynamodb-meter';

/** What one phase of the benchmark measured. */
export interface PhaseResult {
  readonly name: string;
  readonly events: number;
  /** Client calls: HTTP requests (our path) or SendMessage calls (naive path). */
  readonly calls: number;
  /** First call sent -> queue drained and every event aggregated. */
  readonly seconds: number;
  /** Latency of each client call, ms. */
  readonly latencies: readonly number[];
  readonly sqs: SqsStats;
  readonly dynamo: DynamoUsage;
}

/** Nearest-rank percentile of `values` (p in 0..100). */
export const percentile = (values: readonly number[], p: number): number => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] ?? Number.NaN;
};

export const perThousand = (count: number, events: number): number => (count * 1000) / events;

const fixed = (n: number, digits: number): string => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const grouped = (n: number): string => Math.round(n).toLocaleString('en-US');

/** A plain-text table: first column left-aligned, the others right-aligned. */
export const table = (header: readonly string[], rows: readonly (readonly string[])[]): string => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
};

/** WCU/1k is the pipeline's (API, SQS consumer); the per-tenant rate limiter's writes are their own column. */
export const resultsTable = (results: readonly PhaseResult[]): string =>
  table(
    ['path', 'events', 'calls', 'events/s', 'p50 ms', 'p99 ms', 'SQS req/1k', 'SQS billed/1k', 'DDB writes/1k', 'WCU/1k', 'limiter WCU/1k', 'RCU/1k'],
    results.map((r) => [
      r.name,
      grouped(r.events),
      grouped(r.calls),
      grouped(r.events / r.seconds),
      fixed(percentile(r.latencies, 50), 1),
      fixed(percentile(r.latencies, 99), 1),
      fixed(perThousand(r.sqs.totalRequests, r.events), 1),
      fixed(perThousand(r.sqs.totalBilledRequests, r.events), 1),
      fixed(perThousand(r.dynamo.writeRequests, r.events), 1),
      fixed(perThousand(r.dynamo.writeUnits - r.dynamo.rateLimitWriteUnits, r.events), 1),
      fixed(perThousand(r.dynamo.rateLimitWriteUnits, r.events), 1),
      fixed(perThousand(r.dynamo.readUnits, r.events), 1),
    ]),
  );

/** Per phase: SQS requests by action and DynamoDB requests by command, with totals. */
export const details = (r: PhaseResult): string => {
  const sqs = Object.entries(r.sqs.requests)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([action, n]) => `${action} ${grouped(n)} (${grouped(r.sqs.billedRequests[action] ?? 0)} billed)`)
    .join(', ');
  const ddb = Object.entries(r.dynamo.byCommand)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([command, c]) => `${command.replace(/Command$/, '')} ${grouped(c.calls)}${c.failed ? ` (${c.failed} failed)` : ''} = ${fixed(c.units, 1)} units`)
    .join(', ');
  const failures = Object.entries(r.dynamo.failures)
    .map(([name, n]) => `${name} x${n}`)
    .join(', ');
  return [
    `  ${r.name}: ${grouped(r.events)} events in ${fixed(r.seconds, 1)} s`,
    `    SQS: ${grouped(r.sqs.totalRequests)} requests, ${grouped(r.sqs.totalBilledRequests)} billed: ${sqs || 'none'}`,
    `    DynamoDB: ${grouped(r.dynamo.writeRequests)} writes = ${fixed(r.dynamo.writeUnits, 1)} WCU` +
      ` (${fixed(r.dynamo.computedWriteUnits, 1)} of them computed from item sizes), ${grouped(r.dynamo.readRequests)} reads = ${fixed(r.dynamo.readUnits, 1)} RCU`,
    `      by command: ${ddb || 'none'}`,
    ...(failures ? [`      failed requests: ${failures}`] : []),
  ].join('\n');
};

export const machine = (): string => {
  const cpu = cpus();
  const model = cpu[0]?.model.trim() ?? 'unknown CPU';
  return `${model}, ${cpu.length} cores, ${fixed(totalmem() / 1024 ** 3, 1)} GiB RAM, Node ${process.version}, ${platform()} ${release()}`;
};

export const ratio = (naive: number, ours: number): number => (ours > 0 ? naive / ours : Number.POSITIVE_INFINITY);

export const times = (n: number): string => `${fixed(n, 1)}x`;
