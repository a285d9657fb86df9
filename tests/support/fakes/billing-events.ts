import { randomUUID } from 'node:crypto';
import type { BillingEvent, BillingEventStore, NewBillingEvent } from '../../../src/app/ports/billing-events';

/** An audit-trail entry as stored. */
export type StoredBillingEvent = BillingEvent;

/** The append-only audit trail in memory: an id appended again changes nothing. */
export class InMemoryBillingEventStore implements BillingEventStore {
  /** Every entry, in append order. */
  readonly entries: StoredBillingEvent[] = [];

  async append(tenantId: string, event: NewBillingEvent): Promise<boolean> {
    const id = event.id ?? randomUUID();
    if (this.entries.some((e) => e.tenant_id === tenantId && e.id === id)) return false;
    this.entries.push({
      id,
      tenant_id: tenantId,
      type: event.type,
      actor: event.actor,
      occurred_at: event.occurredAt.toISOString(),
      data: event.data ?? {},
    });
    return true;
  }

  /** A tenant's entries in append order, optionally of one type. */
  events(tenantId: string, type?: string): StoredBillingEvent[] {
    return this.entries.filter((e) => e.tenant_id === tenantId && (type === undefined || e.type === type));
  }

  /** A tenant's entry types in append order. */
  types(tenantId: string): string[] {
    return this.events(tenantId).map((e) => e.type);
  }
}
