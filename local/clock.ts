import { existsSync, readFileSync } from 'node:fs';
import type { Clock } from '../src/platform/clock';
import { removeStaleTemps, writeFileDurablySync } from './durable-file';

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

/** What the clock file holds: the offset from the wall clock, and the target of an advance under way. */
interface ClockFile {
  offsetMs: number;
  /** Set (ISO) before an advance starts, cleared when it is done; a restart finishes it. */
  advancingTo?: string | null;
}

/**
 * The one simulated clock of the local stack. Time runs with the wall clock plus an offset
 * (`frozen: false`, for `npm start`) or stands still between advances (`frozen: true`, for
 * tests). `advanceTo` walks through every due instant in order, so whatever would happen in
 * that time happens, each at its own simulated time.
 *
 * With a `file` (`SimulatedClock.load`) the clock is durable: before an advance starts its
 * target is written (fsync, atomic rename), then the time of each step before that step runs,
 * and the end. A kill -9 mid-advance therefore leaves the target and a time no earlier than
 * any work already done; `resume()` after the restart finishes the advance (the participants
 * derive what is due from their own durable state, so each thing happens once, in order).
 */
export class SimulatedClock implements Clock {
  private offsetMs: number;
  private frozenAt: number | null;
  private readonly participants: TimeDriven[] = [];
  private running: Promise<void> = Promise.resolve();
  private advancing = false;
  private readonly file: string | undefined;
  /** Read from the file: the target of an advance a crash cut off. */
  private interrupted: Date | null;
  /** The target of the advance running now. */
  private target: Date | null = null;

  constructor(options: { start?: Date; frozen?: boolean; offsetMs?: number; file?: string; advancingTo?: Date | null } = {}) {
    const start = options.start?.getTime();
    this.offsetMs = options.offsetMs ?? (start === undefined ? 0 : start - Date.now());
    this.frozenAt = options.frozen ? (start ?? Date.now() + this.offsetMs) : null;
    this.file = options.file;
    this.interrupted = options.advancingTo ?? null;
  }

  /** The target of an advance that a crash interrupted, which `resume()` finishes; else null. */
  get pendingAdvance(): Date | null {
    return this.interrupted;
  }

  /** Finishes an advance interrupted by a crash (see the class comment); resolves with the time after it, or null. */
  async resume(): Promise<Date | null> {
    const target = this.interrupted;
    if (!target) return null;
    // A running clock may already be past the target after the downtime: then only what is due now runs.
    return this.advanceTo(new Date(Math.max(target.getTime(), this.now().getTime())));
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
      this.advancing = true;
      this.target = target;
      try {
        this.persist();
        for (let guard = 0; guard < 100_000; guard += 1) {
          await this.refresh();
          const due = this.nextDue(target);
          if (!due) break;
          // Work overdue from before this advance runs now; time never goes backwards.
          const at = new Date(Math.max(due.at.getTime(), this.now().getTime()));
          this.set(at);
          this.persist();
          await due.participant.runDue(at);
        }
        this.set(target);
        this.persist();
        await this.runDueNowInside();
        this.target = null;
        if (this.interrupted && this.interrupted.getTime() <= this.now().getTime()) this.interrupted = null;
        this.persist();
        return this.now();
      } finally {
        // A failed advance keeps its target saved (and `pendingAdvance` reports it): a restart retries.
        if (this.target) this.interrupted = this.target;
        this.target = null;
        this.advancing = false;
      }
    });
    this.running = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * Runs whatever is due at the current time (the wall-clock ticker calls this). During an
   * advance it does nothing: the advance runs everything due, in order.
   */
  async runDueNow(): Promise<void> {
    if (this.advancing) return;
    await this.runDueNowInside();
  }

  private async runDueNowInside(): Promise<void> {
    await this.refresh();
    const now = this.now();
    for (const p of this.participants) {
      const at = p.nextDueAt();
      if (at && at.getTime() <= now.getTime()) await p.runDue(now);
    }
  }

  /** Persists the offset (durably), so simulated time survives `npm start` restarts; an advance under way stays to be finished. */
  save(file: string): void {
    writeFileDurablySync(file, JSON.stringify(this.content()));
  }

  /**
   * The running clock of `npm start`, kept in `file`: its offset, and the target of an advance
   * that a crash interrupted (`pendingAdvance`, finished by `resume()`). It saves itself there.
   */
  static load(file: string): SimulatedClock {
    removeStaleTemps(file);
    if (!existsSync(file)) return new SimulatedClock({ file });
    const { offsetMs, advancingTo } = JSON.parse(readFileSync(file, 'utf8')) as ClockFile;
    return new SimulatedClock({ offsetMs, file, advancingTo: advancingTo ? new Date(advancingTo) : null });
  }

  private content(): ClockFile {
    const advancingTo = this.target ?? this.interrupted;
    return { offsetMs: this.now().getTime() - Date.now(), advancingTo: advancingTo?.toISOString() ?? null };
  }

  private persist(): void {
    if (this.file) writeFileDurablySync(this.file, JSON.stringify(this.content()));
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
