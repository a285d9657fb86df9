import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import type { TimeDriven } from './clock';

const REPO_ROOT = resolve(new URL('..', import.meta.url).pathname);

/** A Lambda handler export, loaded from its source entry as the runtime would load the bundle. */
export const loadHandler = async <E, R>(entry: string): Promise<(event: E, context: Context) => Promise<R>> => {
  const module = (await import(pathToFileURL(resolve(REPO_ROOT, entry)).href)) as { handler: (event: E, context: Context) => Promise<R> };
  return module.handler;
};

/** A Lambda context for a local invocation. */
export const localContext = (functionName: string, timeoutMs = 300_000): Context => {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
};

const HOUR_MS = 3_600_000;

const nextHour = (ms: number) => Math.floor(ms / HOUR_MS + 1) * HOUR_MS;

/**
 * An EventBridge `rate(1 hour)` rule on the simulated clock. It fires on the full hours when
 * there is work (`firstWorkAt` says when the earliest work becomes due), so advancing a month
 * runs the planner when periods close rather than 720 times for nothing.
 */
export const hourlySchedule = (
  from: Date,
  firstWorkAt: () => Promise<Date | null>,
  run: (at: Date) => Promise<void>,
): TimeDriven => {
  let earliest = nextHour(from.getTime());
  let next: number | null = null;
  return {
    name: 'hourly-schedule',
    refresh: async () => {
      const work = await firstWorkAt();
      next = work === null ? null : Math.max(earliest, nextHour(work.getTime() - 1));
    },
    nextDueAt: () => (next === null ? null : new Date(next)),
    runDue: async (now) => {
      if (next === null || now.getTime() < next) return;
      earliest = nextHour(now.getTime());
      next = null;
      await run(now);
    },
  };
};
