/**
 * A token bucket: at most `perSecond` takes per second on average, and at most `burst` at once
 * after a quiet spell. Callers that find it empty wait their turn (first come, first served), so
 * any number of concurrent callers in one container share one budget. `now` (ms) and `sleep`
 * are injectable so tests neither wait nor depend on timing.
 *
 * @example
 * const stripeBudget = new TokenBucket({ perSecond: 20 });
 * await stripeBudget.take(); // then send the request
 */
export class TokenBucket {
  private readonly perSecond: number;
  private readonly burst: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private tokens: number;
  private updatedAt: number;
  /** Takes queue behind the one before them. */
  private queue: Promise<void> = Promise.resolve();

  constructor(options: { perSecond: number; burst?: number; now?: () => number; sleep?: (ms: number) => Promise<void> }) {
    if (!(options.perSecond > 0)) throw new RangeError(`perSecond must be positive, got ${options.perSecond}`);
    this.perSecond = options.perSecond;
    // A fifth of a second's worth at once by default: no one-second window sees much more than `perSecond`.
    this.burst = Math.max(1, options.burst ?? Math.ceil(options.perSecond / 5));
    this.now = options.now ?? (() => performance.now());
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.tokens = this.burst;
    this.updatedAt = this.now();
  }

  /** Resolves when the caller may go: one token taken. */
  take(): Promise<void> {
    const turn = this.queue.then(() => this.takeNow());
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async takeNow(): Promise<void> {
    for (;;) {
      const now = this.now();
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.updatedAt) * this.perSecond) / 1000);
      this.updatedAt = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await this.sleep(((1 - this.tokens) * 1000) / this.perSecond);
    }
  }
}
