/**
 * CPU time of the functions the benchmarks run in their own process: Lambda bills a function's
 * duration, and at these sizes that is mostly its CPU. `process.cpuUsage()` is per process, so
 * calls are timed one at a time while nothing else of the bench runs (DynamoDB Local is its own
 * process and not counted; the local SQS endpoint and the bench's DynamoDB meter are in this one).
 */
import type { SQSEvent } from 'aws-lambda';
import type { SqsConsumer } from '../../../local/sqs';

/** Process CPU time (user + system), microseconds, spent while `run` ran. */
export const cpuMicros = async (run: () => Promise<void>): Promise<number> => {
  const before = process.cpuUsage();
  await run();
  const used = process.cpuUsage(before);
  return used.user + used.system;
};

/** Runs `calls` one after another; returns their summed process CPU time, microseconds. */
export const sequentialCpu = async <T>(items: readonly T[], call: (item: T) => Promise<void>): Promise<number> => {
  let total = 0;
  for (const item of items) total += await cpuMicros(() => call(item));
  return total;
};

export interface ConsumerTotals {
  readonly invocations: number;
  readonly messages: number;
  /** Usage records in those messages (`records` of each body). */
  readonly records: number;
  /** CPU time of the invocations while measuring, microseconds (0 otherwise). */
  readonly cpuMicros: number;
}

const recordsIn = (event: SQSEvent): number =>
  event.Records.reduce((n, m) => {
    try {
      const body = JSON.parse(m.body) as { records?: unknown };
      return n + (Array.isArray(body.records) ? body.records.length : 0);
    } catch {
      // A poison message holds no records the aggregator counts.
      return n;
    }
  }, 0);

/**
 * Wraps an SQS consumer (`wrapUsageConsumer` of the local stack): counts what it is handed, and
 * can hold its invocations (`hold`) until told to run them one at a time with their CPU time
 * measured (`measure`), or as usual (`pass`, the default, which adds nothing but the counting).
 */
export class ConsumerProbe {
  private mode: 'pass' | 'hold' | 'measure' = 'pass';
  private gate: Promise<void> = Promise.resolve();
  private open: () => void = () => undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private totals = { invocations: 0, messages: 0, records: 0, cpuMicros: 0 };

  readonly wrap = (handler: SqsConsumer): SqsConsumer => async (event, context) => {
    this.totals.invocations += 1;
    this.totals.messages += event.Records.length;
    this.totals.records += recordsIn(event);
    await this.gate;
    if (this.mode !== 'measure') return handler(event, context);
    const run = async () => {
      const before = process.cpuUsage();
      try {
        return await handler(event, context);
      } finally {
        const used = process.cpuUsage(before);
        this.totals.cpuMicros += used.user + used.system;
      }
    };
    const result = this.queue.then(run);
    this.queue = result.catch(() => undefined);
    return result;
  };

  /** Invocations from now on wait (their messages stay in flight) until `measure` or `pass`. */
  hold(): void {
    this.mode = 'hold';
    this.gate = new Promise((resolve) => {
      this.open = resolve;
    });
  }

  /** Held and later invocations run one at a time, their CPU time added up. */
  measure(): void {
    this.mode = 'measure';
    this.open();
  }

  pass(): void {
    this.mode = 'pass';
    this.open();
  }

  reset(): void {
    this.totals = { invocations: 0, messages: 0, records: 0, cpuMicros: 0 };
  }

  snapshot(): ConsumerTotals {
    return { ...this.totals };
  }
}
