import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Clock } from '../../functions/shared/clock';

/**
 * Something that has work due at simulated times (the local Stripe endpoint's renewals and
 * retries, the overage schedule, delayed queue messages...).
 */
export interface TimeDriven {
  readonly name: string;
  /** The earliest instant at which it has work, or null. */
  nextDueAt(): Date | null;
  /** Does everything due at or before `now`. */
  runDue(now: Date): Promise<void>;
  /** Looks up what is due, when that needs I/O; called before each step. */
  refresh?(): Promise<void>;
}

/**
 * The one simulated clock of the local stack. Time runs with the wall clock plus an offset
 * (`frozen: false`, for `npm start`) or stands still between advances (`frozen: true`, for
 * tests). `advanceTo` walks through every due instant in order, so whatever would happen in
 * that time happens, each at its own simulated time.
 */
export class SimulatedClock implements Clock {
  private offsetMs: number;
  private frozenAt: number | null;
  private readonly participants: TimeDriven[] = [];
  private running: Promise<void> = Promise.resolve();

  constructor(options: { start?: Date; frozen?: boolean; offsetMs?: number } = {}) {
    const start = options.start?.getTime();
    this.offsetMs = options.offsetMs ?? (start === undefined ? 0 : start - Date.now());
    this.frozenAt = options.frozen ? (start ?? Date.now() + this.offsetMs) : null;
  }

  now(): Date {
    return new Date(this.frozenAt ?? Date.now() + this.offsetMs);
  }

  register(participant: TimeDriven): void {
    this.participants.push(participant);
  }

  /** Moves time forward by `ms`, running everything due on the way. */
  advanceBy(ms: number): Promise<Date> {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('the clock only moves forward');
    return this.advanceTo(new Date(this.now().getTime() + ms));
  }

  /** Moves time to `target`, running due work in time order. Calls are serialized. */
  advanceTo(target: Date): Promise<Date> {
    const run = this.running.then(async () => {
      if (target.getTime() < this.now().getTime()) throw new RangeError('the clock only moves forward');
      for (let guard = 0; guard < 100_000; guard += 1) {
        await this.refresh();
        const due = this.nextDue(target);
        if (!due) break;
        // Work overdue from before this advance runs now; time never goes backwards.
        const at = new Date(Math.max(due.at.getTime(), this.now().getTime()));
        this.set(at);
        await due.participant.runDue(at);
      }
      this.set(target);
      await this.runDueNow();
      return this.now();
    });
    this.running = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Runs whatever is due at the current time (the wall-clock ticker calls this). */
  async runDueNow(): Promise<void> {
    await this.refresh();
    const now = this.now();
    for (const p of this.participants) {
      const at = p.nextDueAt();
      if (at && at.getTime() <= now.getTime()) await p.runDue(now);
    }
  }

  /** Persists the offset, so simulated time survives `npm start` restarts. */
  save(file: string): void {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify({ offsetMs: this.now().getTime() - Date.now() }));
  }

  static load(file: string): SimulatedClock {
    if (!existsSync(file)) return new SimulatedClock();
    const { offsetMs } = JSON.parse(readFileSync(file, 'utf8')) as { offsetMs: number };
    return new SimulatedClock({ offsetMs });
  }

  private async refresh(): Promise<void> {
    for (const p of this.participants) await p.refresh?.();
  }

  private set(at: Date): void {
    if (this.frozenAt !== null) this.frozenAt = at.getTime();
    else this.offsetMs = at.getTime() - Date.now();
  }

  private nextDue(limit: Date): { at: Date; participant: TimeDriven } | null {
    let best: { at: Date; participant: TimeDriven } | null = null;
    for (const participant of this.participants) {
      const at = participant.nextDueAt();
      if (at && at.getTime() <= limit.getTime() && (!best || at.getTime() < best.at.getTime())) best = { at, participant };
    }
    return best;
  }
}

/** Parses `+31d`, `+2h`, `+90m`, `+45s` (or without the plus) into milliseconds. */
export const parseDuration = (text: string): number => {
  const m = /^\+?(\d+(?:\.\d+)?)([smhd])$/.exec(text.trim());
  if (!m?.[1] || !m[2]) throw new Error(`not a duration: ${text} (try +31d, +2h, +90m)`);
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
  return Math.round(Number(m[1]) * unit);
};
