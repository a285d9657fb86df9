import type { ChangeBilling } from '../../../src/app/ports/change-billing';
import type { StoredSubscription } from '../../../src/app/ports/subscriptions';
import type { PlanSegment } from '../../../src/domain/timeline';

export interface RecordedChange {
  readonly current: StoredSubscription;
  readonly at: Date;
  readonly next: Pick<PlanSegment, 'plan_id' | 'billing_cycle' | 'anchor'> | null;
}

/**
 * A `ChangeBilling` (the usage side of a change made now) that records each call; `failNext`
 * makes the next one throw. Give `onClose` to act as well (e.g. add pending invoice items).
 */
export class RecordingChangeBilling implements ChangeBilling {
  readonly calls: RecordedChange[] = [];
  /** Answer this instant instead of `at`, as when a retried change resumes an earlier cut. */
  resumeAt: Date | null = null;
  private failure: Error | null = null;

  constructor(private readonly onClose?: (change: RecordedChange) => Promise<void>) {}

  async closeForChange(current: StoredSubscription, at: Date, next: Pick<PlanSegment, 'plan_id' | 'billing_cycle' | 'anchor'> | null): Promise<Date> {
    if (this.failure) {
      const error = this.failure;
      this.failure = null;
      throw error;
    }
    const change = { current, at, next };
    this.calls.push(change);
    if (this.onClose) await this.onClose(change);
    return this.resumeAt ?? at;
  }

  failNext(error: Error = new Error('could not close the usage period')): void {
    this.failure = error;
  }
}
