import { randomUUID } from 'node:crypto';
import type { BillingEvent, BillingEventStore, NewBillingEvent } from '../../app/ports/billing-events';
import type { TableRef } from './client';
import { tenantCursorShape } from './cursor';
import { ATTR, billingEventKey, billingEventRange, EVENT_FIELD, tenantPk } from './keys';
import { putIfAbsent } from './conditions';
import { queryPage } from './query';


export interface EventPage {
  readonly items: BillingEvent[];
  readonly nextCursor: string | null;
}

/**
 * The append-only audit trail of everything that changed money or access. Items are only ever
 * put with `attribute_not_exists`: nothing here updates or deletes an event.
 */
export class BillingEventsRepository implements BillingEventStore {
  constructor(private readonly table: TableRef) {}

  /** Appends an event; appending the same id again changes nothing and returns false. */
  async append(tenantId: string, event: NewBillingEvent): Promise<boolean> {
    const id = event.id ?? randomUUID();
    const occurredAt = event.occurredAt.toISOString();
    const item: BillingEvent = {
      id,
      tenant_id: tenantId,
      type: event.type,
      actor: event.actor,
      occurred_at: occurredAt,
      data: event.data ?? {},
    };
    return putIfAbsent(this.table, { ...billingEventKey(tenantId, occurredAt, id), ...item });
  }

  /** A tenant's events, newest first, optionally by type and time range. */
  async list(
    tenantId: string,
    options: { limit: number; cursor?: string; type?: string; from?: string; to?: string },
  ): Promise<EventPage> {
    const range = billingEventRange(options.from, options.to);
    const page = await queryPage(
      this.table,
      {
        KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :start AND :end',
        ExpressionAttributeNames: { '#pk': ATTR.pk, '#sk': ATTR.sk, ...(options.type ? { '#type': EVENT_FIELD.type } : {}) },
        ExpressionAttributeValues: {
          ':pk': tenantPk(tenantId),
          ':start': range.start,
          ':end': range.end,
          ...(options.type ? { ':type': options.type } : {}),
        },
        ...(options.type ? { FilterExpression: '#type = :type' } : {}),
        ScanIndexForward: false,
      },
      { limit: options.limit, cursor: options.cursor, shape: tenantCursorShape(tenantId, range) },
    );
    const items = page.items.map(
      ({ id, tenant_id, type, actor, occurred_at, data }) => ({ id, tenant_id, type, actor, occurred_at, data }) as BillingEvent,
    );
    return { items, nextCursor: page.nextCursor };
  }
}
