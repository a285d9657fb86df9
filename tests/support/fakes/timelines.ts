import type { TimelineStore } from '../../../src/app/ports/timelines';
import type { PlanSegment } from '../../../src/domain/timeline';
import { InMemoryTenantStore } from './tenants';

/** Plan timelines on the tenant profiles of an `InMemoryTenantStore` (changes are atomic here). */
export class InMemoryTimelineStore implements TimelineStore {
  constructor(readonly tenants: InMemoryTenantStore = new InMemoryTenantStore()) {}

  async change(tenantId: string, f: (segments: PlanSegment[]) => PlanSegment[]): Promise<{ before: PlanSegment[]; after: PlanSegment[] }> {
    const before = this.tenants.profile(tenantId).timeline;
    const after = f([...before]);
    this.tenants.change(tenantId, (p) => ({ ...p, timeline: [...after] }));
    return { before, after };
  }

  /** The stored timeline (a copy). */
  segments(tenantId: string): PlanSegment[] {
    return this.tenants.profile(tenantId).timeline;
  }
}
