import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock, type TimeDriven } from '../../../../local/clock';

const HOUR = 3_600_000;

describe('the simulated clock kept in a file (npm start)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'local-clock-'));
  const file = join(dir, 'clock.json');
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const saved = () => JSON.parse(readFileSync(file, 'utf8')) as { offsetMs: number; advancingTo: string | null };

  it('saves the target before an advance and each step before it runs; after a crash the advance finishes, each thing once, in order', async () => {
    const clock = SimulatedClock.load(file);
    const base = clock.now().getTime();
    const target = new Date(base + 5 * HOUR);
    // Work due at +1h..+4h; `done` stands for the participant's own durable state (Stripe's file, the table).
    const due = [1, 2, 3, 4].map((h) => base + h * HOUR);
    const done = new Set<number>();
    const runs: number[] = [];
    const seenInFile: { advancingTo: string | null; at: number }[] = [];
    const participant = (crashAt: number | null): TimeDriven => ({
      name: 'work',
      nextDueAt: () => {
        const next = due.find((t) => !done.has(t));
        return next === undefined ? null : new Date(next);
      },
      runDue: async (now) => {
        for (const t of due) {
          if (t > now.getTime() || done.has(t)) continue;
          const file = saved();
          seenInFile.push({ advancingTo: file.advancingTo, at: Date.now() + file.offsetMs });
          if (t === crashAt) throw new Error('killed');
          runs.push(t);
          done.add(t);
        }
      },
    });
    clock.register(participant(due[2] ?? 0));
    await expect(clock.advanceTo(target)).rejects.toThrow('killed');
    // Before each step ran, the file held the target and a time no earlier than the step.
    for (const [i, seen] of seenInFile.entries()) {
      expect(seen.advancingTo).toBe(target.toISOString());
      expect(seen.at).toBeGreaterThanOrEqual(due[i] ?? Infinity);
    }
    expect(runs).toEqual(due.slice(0, 2));

    // The restart: the clock is where the crash left it (not back at the start), the advance pending.
    const restarted = SimulatedClock.load(file);
    expect(restarted.pendingAdvance?.toISOString()).toBe(target.toISOString());
    expect(restarted.now().getTime()).toBeGreaterThanOrEqual(due[2] ?? Infinity);
    restarted.register(participant(null));
    await restarted.resume();
    expect(runs).toEqual(due);
    expect(restarted.now().getTime()).toBeGreaterThanOrEqual(target.getTime());
    expect(restarted.pendingAdvance).toBeNull();
    expect(saved().advancingTo).toBeNull();
    // Nothing left to finish on the next start.
    expect(SimulatedClock.load(file).pendingAdvance).toBeNull();
  });

  it('reads a clock file from before (offset only) and a missing one', () => {
    expect(SimulatedClock.load(join(dir, 'missing.json')).pendingAdvance).toBeNull();
    const clock = new SimulatedClock({ start: new Date('2030-01-01T00:00:00Z') });
    clock.save(file);
    const loaded = SimulatedClock.load(file);
    expect(loaded.pendingAdvance).toBeNull();
    expect(Math.abs(loaded.now().getTime() - new Date('2030-01-01T00:00:00Z').getTime())).toBeLessThan(60_000);
  });
});
