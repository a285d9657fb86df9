import type { PlanSegment } from '../../domain/timeline';

/** Each tenant's plan timeline, changed by read-modify-write under a version guard. */
export interface TimelineStore {
  /** Applies `f` to the stored timeline (retrying when another writer got there first); returns it before and after. */
  change(tenantId: string, f: (segments: PlanSegment[]) => PlanSegment[]): Promise<{ before: PlanSegment[]; after: PlanSegment[] }>;
}
