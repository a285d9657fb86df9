/** Replays one concrete timeline on a fresh local stack and compares it with the reference model. */
import { startTestApi } from '../support/local-api';
import type { Timeline } from '../model/timeline';
import { compareTimeline, type Problem } from './compare';
import { driveTimeline } from './driver';

export const replayTimeline = async (timeline: Timeline): Promise<Problem[]> => {
  const api = await startTestApi({ start: new Date(timeline.start) });
  try {
    const observed = await driveTimeline(api, timeline);
    return compareTimeline(timeline, observed);
  } finally {
    await api.stack.stop();
  }
};
