import type { Clock } from '../../platform/clock';
import type { MessageQueue } from '../ports/queue';
import type { OverageStore } from '../ports/overages';
import { CLOSE_GRACE_MS, type OverageBiller, type PeriodResult } from './biller';

/** A unit of overage work on the queue: one tenant's closed period. */
export interface OverageWork {
  readonly tenant_id: string;
  readonly period_start: string;
}

/**
 * What a run billed (or would bill). Quantities, amounts and totals are exact `bigint`s; the HTTP
 * layer renders them as JSON integers with every digit.
 */
export interface RunSummary {
  readonly periods_billed: number;
  readonly invoice_items: {
    tenant_id: string;
    resource_type: string;
    quantity: bigint;
    overage: bigint;
    amount: bigint;
    currency: string;
    period_start: string;
    period_end: string;
  }[];
  readonly totals: Record<string, bigint>;
  /** Lines Stripe refused for good: recorded with the reason, not billed, not in the totals. */
  readonly failed_items: {
    tenant_id: string;
    resource_type: string;
    amount: bigint;
    currency: string;
    period_start: string;
    period_end: string;
    reason: string;
  }[];
  readonly periods: { tenant_id: string; period_start: string; outcome: string }[];
}

/** Most periods one admin request bills inline; the scheduled run has no such limit. */
const ADMIN_LIMIT = 200;

/**
 * The admin answer for a run's period results: every line, and the exact total per currency.
 * @example summarize([await biller.billPeriod('org-1', start)]).totals // { usd: 150000n }
 */
const failureOf = (line: PeriodResult['lines'][number]): string | null =>
  'failure_reason' in line && typeof line.failure_reason === 'string' ? line.failure_reason : null;

export const summarize = (results: readonly PeriodResult[]): RunSummary => {
  const failed = results.flatMap((r) =>
    r.lines.flatMap((l) => {
      const reason = failureOf(l);
      return reason === null
        ? []
        : [{ tenant_id: r.tenant_id, resource_type: l.resource, amount: l.amount, currency: l.currency, period_start: r.period_start, period_end: r.period_end, reason }];
    }),
  );
  const items = results.flatMap((r) =>
    r.lines.filter((l) => failureOf(l) === null).map((l) => ({
      tenant_id: r.tenant_id,
      resource_type: l.resource,
      quantity: l.quantity,
      overage: l.overage,
      amount: l.amount,
      currency: l.currency,
      period_start: r.period_start,
      period_end: r.period_end,
    })),
  );
  const totals: Record<string, bigint> = {};
  for (const item of items) totals[item.currency] = (totals[item.currency] ?? 0n) + item.amount;
  return {
    periods_billed: results.filter((r) => r.outcome === 'billed' || r.outcome === 'dry_run').length,
    invoice_items: items,
    totals,
    failed_items: failed,
    periods: results.map((r) => ({ tenant_id: r.tenant_id, period_start: r.period_start, outcome: r.outcome })),
  };
};

/**
 * The scheduled overage run's planner: finds every closed, unbilled period through the sparse
 * index (no scan) and enqueues one unit of work per tenant period; workers bill them, their
 * bounded concurrency keeping Stripe calls under its rate limit. Returns how many it enqueued.
 */
export const planDuePeriods = async (deps: { overages: OverageStore; clock: Clock }, queue: MessageQueue): Promise<number> => {
  const due = await deps.overages.duePeriods(new Date(deps.clock.now().getTime() - CLOSE_GRACE_MS), Number.MAX_SAFE_INTEGER);
  await queue.sendAll(
    due.map((p, i) => ({ id: String(i), body: JSON.stringify({ tenant_id: p.tenant_id, period_start: p.start } satisfies OverageWork) })),
  );
  return due.length;
};

/** The admin route's run: the same biller, inline. */
export class OverageRun {
  constructor(
    private readonly biller: OverageBiller,
    private readonly overages: OverageStore,
    private readonly clock: Clock,
  ) {}

  /** `POST /admin/usage/process-overages`: one period, one tenant's due periods, or all, inline. */
  async process(request: { tenantId?: string; periodStart?: string; dryRun?: boolean }): Promise<RunSummary> {
    const options = { dryRun: request.dryRun ?? false };
    let targets: OverageWork[];
    if (request.tenantId && request.periodStart) {
      targets = [{ tenant_id: request.tenantId, period_start: request.periodStart }];
    } else {
      const due = await this.overages.duePeriods(new Date(this.clock.now().getTime() - CLOSE_GRACE_MS), request.tenantId ? Number.MAX_SAFE_INTEGER : ADMIN_LIMIT);
      targets = due
        .filter((p) => !request.tenantId || p.tenant_id === request.tenantId)
        .filter((p) => !request.periodStart || p.start === request.periodStart)
        .slice(0, ADMIN_LIMIT)
        .map((p) => ({ tenant_id: p.tenant_id, period_start: p.start }));
    }
    const results: PeriodResult[] = [];
    for (const t of targets) results.push(await this.biller.billPeriod(t.tenant_id, t.period_start, options));
    return summarize(results);
  }
}
