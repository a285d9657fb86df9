/**
 * The randomized lifecycle property: random timelines for several tenants at once, run on one
 * local stack (fresh tenant ids per timeline), compared with the reference model.
 */
import fc from 'fast-check';
import type { TestApi } from '../support/local-api';
import type { Timeline } from '../model/timeline';
import { compareTimeline, summarize, type Problem } from './compare';
import { cleanUp, driveTimeline } from './driver';
import { dropIdleTenants, formatRegression } from './format';
import { alignStart, resolveTimeline, timelineIntentArb } from './intents';

export interface SimulationOptions {
  readonly seed: number;
  readonly runs: number;
  /** Shrink a failure for at most this long (0: report the first failure as found). */
  readonly shrinkMs: number;
  readonly maxTenants?: number;
  readonly maxSteps?: number;
  /** fast-check's replay path (`"175"`, or a shrunk one `"175:3:0"`): run that timeline first, as the seed generated it. */
  readonly path?: string;
  readonly log?: (line: string) => void;
}

export interface SimulationResult {
  readonly seed: number;
  readonly runs: number;
  readonly executed: number;
  readonly elapsedMs: number;
  readonly failed: boolean;
  readonly path: string | null;
  readonly timeline: Timeline | null;
  readonly problems: readonly Problem[];
  readonly regression: string | null;
}

export const runSimulation = async (api: TestApi, options: SimulationOptions): Promise<SimulationResult> => {
  const log = options.log ?? (() => undefined);
  const began = Date.now();
  const knownDeadLetters = new Set<string>();
  let executed = 0;
  let firstFailure: { kinds: Set<string>; at: number } | null = null;
  let last: { timeline: Timeline; problems: Problem[] } | null = null;

  const property = fc.asyncProperty(timelineIntentArb({ maxTenants: options.maxTenants ?? 3, maxSteps: options.maxSteps ?? 24 }), async (intent) => {
    // Out of shrinking time: call every further candidate a pass, so fast-check stops at the smallest failure so far.
    if (firstFailure && Date.now() - firstFailure.at > options.shrinkMs) return true;
    executed += 1;
    const run = executed;
    const start = alignStart(api.stack.clock.now(), intent);
    const timeline = resolveTimeline(intent, start, `sim${options.seed}r${run}`);
    const t0 = Date.now();
    let problems: Problem[];
    let until = '?';
    try {
      const observed = await driveTimeline(api, timeline);
      until = observed.at;
      problems = compareTimeline(timeline, observed, { knownDeadLetters });
      for (const d of observed.deadLetters) knownDeadLetters.add(d);
    } catch (error) {
      problems = [{ tenant: null, kind: 'harness', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }];
    }
    await cleanUp(api, timeline).catch(() => undefined);
    const steps = timeline.steps.length;
    const places = timeline.tenants.map((t) => `${t.country ?? 'US'}${t.tax_ids?.length ? '+vat' : ''}/${t.currency}`).join(' ');
    log(`seed ${options.seed} ${firstFailure ? 'shrink' : 'run'} ${run}: ${timeline.tenants.length} tenants (${places}), ${steps} steps, ${timeline.start} .. ${until}, ${Date.now() - t0} ms, ${problems.length === 0 ? 'ok' : `${problems.length} problems (${[...new Set(problems.map((p) => p.kind))].join(', ')})`}`);
    if (problems.length === 0) return true;
    if (!firstFailure) {
      firstFailure = { kinds: new Set(problems.map((p) => p.kind)), at: Date.now() };
    } else if (!problems.some((p) => firstFailure?.kinds.has(p.kind))) {
      // Shrink toward the failure first found, not toward another one.
      return true;
    }
    last = { timeline, problems };
    return false;
  });

  const details = await fc.check(property, {
    seed: options.seed,
    numRuns: options.runs,
    endOnFailure: options.shrinkMs <= 0,
    ...(options.path ? { path: options.path } : {}),
  });
  const found = last as { timeline: Timeline; problems: Problem[] } | null;
  const timeline = found ? dropIdleTenants(found.timeline) : null;
  const regression = found && timeline ? formatRegression(timeline, found.problems, { seed: options.seed, ...(details.counterexamplePath ? { path: details.counterexamplePath } : {}) }) : null;
  if (found) log(`seed ${options.seed}: failing timeline after ${details.numShrinks} shrinks:\n${summarize(found.problems)}`);
  return {
    seed: options.seed,
    runs: options.runs,
    executed,
    elapsedMs: Date.now() - began,
    failed: details.failed,
    path: details.counterexamplePath ?? null,
    timeline,
    problems: found?.problems ?? [],
    regression,
  };
};
