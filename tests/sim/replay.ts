/**
 * Replays one concrete timeline on the local stack and compares it with the reference model.
 *
 * One stack per test file (process): the Lambda handlers keep their Stripe and SQS clients in
 * module scope, so a second stack in the same process would talk to the first one's endpoints.
 * Several replays in one file therefore share the stack and must come in start order (the
 * clock only moves forward); a regression printed by the simulation is one file of its own.
 */
import { afterAll } from 'vitest';
import { startTestApi, type TestApi } from '../support/local-api';
import type { Timeline } from '../model/timeline';
import { compareTimeline, type Problem } from './compare';
import { cleanUp, driveTimeline } from './driver';

let shared: Promise<TestApi> | null = null;
// Registered when a test file imports this module, so it runs after that file's tests.
afterAll(async () => {
  if (shared) await (await shared).stack.stop();
});

export const replayTimeline = async (timeline: Timeline): Promise<Problem[]> => {
  if (!shared) {
    shared = startTestApi({ start: new Date(timeline.start) });
  }
  const api = await shared;
  const now = api.stack.clock.now().getTime();
  if (Date.parse(timeline.start) < now) {
    throw new Error(`replayTimeline: this file's stack is already at ${new Date(now).toISOString()}, after the timeline's start ${timeline.start}; put this timeline in its own file or order the replays by start`);
  }
  const observed = await driveTimeline(api, timeline);
  const problems = compareTimeline(timeline, observed);
  await cleanUp(api, timeline);
  return problems;
};
