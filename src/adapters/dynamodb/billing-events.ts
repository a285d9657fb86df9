import { randomUUID } from 'node:crypto';
import type { BillingEvent, BillingEventStore, NewBillingEvent, RevenueEventSource } from '../../app/ports/billing-events';
import type { TableRef } from './client';
import { encodeCursor, tenantCursorShape } from './cursor';
import { ATTR, billingEventKey, billingEventRange, EVENT_FIELD, INDEX, revenueIndex, revenueMonthPk, tenantPk } from './keys';
import { REVENUE_EVENT_TYPES } from '../../domain/revenue';
import { putIfAbsent } from './conditions';
import { queryAll, queryPage } from './query';


/** Pages read for one filtered listing at most, and how many events each evaluates. */
const MAX_FILTERED_PAGES = 20;
const FILTERED_PAGE_SIZE = 200;

export interface EventPage {
  readonly items: BillingEvent[];
  readonly nextCursor: string | null;
}

/**
 * The stored item of an event, keyed under its tenant by time; revenue events are also indexed
 * by month for the revenue report. Transactions that record an event with another write use it.
 */
export const billingEventItem = (tenantId: string, event: NewBillingEvent): Record<string, unknown> => {
  const id = event.id ?? randomUUID();
  const occurredAt = event.occurredAt.toISOString();
  const item: BillingEvent = { id, tenant_id: tenantId, type: event.type, actor: event.actor, occurred_at: occurredAt, data: event.data ?? {} };
  return {
    ...billingEventKey(tenantId, occurredAt, id),
    ...(REVENUE_EVENT_TYPES.has(event.type) ? revenueIndex(occurredAt, tenantId, id) : {}),
    ...item,
  };
};

/**
 * The append-only audit trail of everything that changed money or access. Items are only ever
 * put with `attribute_not_exists`: nothing here updates or deletes an event.
 */
export class BillingEventsRepository implements BillingEventStore, RevenueEventSource {
  constructor(private readonly table: TableRef) {}

  /** Appends an event; appending the same id again changes nothing and returns false. */
  async append(tenantId: string, event: NewBillingEvent): Promise<boolean> {
    return putIfAbsent(this.table, billingEventItem(tenantId, event));
  }

  /** Every revenue event of one month (`YYYY-MM`), oldest first, all tenants: one index partition. */
  async revenueMonth(month: string): Promise<BillingEvent[]> {
    const items = await queryAll(this.table, {
      IndexName: INDEX.gsi2,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': ATTR.gsi2pk },
      ExpressionAttributeValues: { ':pk': revenueMonthPk(month) },
    });
    return items.map(({ id, tenant_id, type, actor, occurred_at, data }) => ({ id, tenant_id, type, actor, occurred_at, data }) as BillingEvent);
  }

  /**
   * A tenant's events, newest first, optionally by type and time range. A type is a filter, which
   * DynamoDB applies after `Limit`: pages are read on (up to `MAX_FILTERED_PAGES`) until `limit`
   * events of the type are found, so a short page only ever means the range is read out (or a
   * very sparse type, where the cursor carries on).
   */
  async list(
    tenantId: string,
    options: { limit: number; cursor?: string; type?: string; from?: string; to?: string },
  ): Promise<EventPage> {
    const range = billingEventRange(options.from, options.to);
    const shape = tenantCursorShape(tenantId, range);
    const input = {
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
    };
    let page = await queryPage(this.table, input, { limit: options.limit, ...(options.cursor ? { cursor: options.cursor } : {}), shape });
    const found = [...page.items];
    for (let pages = 1; options.type && found.length < options.limit && page.nextCursor && pages < MAX_FILTERED_PAGES; pages += 1) {
      page = await queryPage(this.table, input, { limit: FILTERED_PAGE_SIZE, cursor: page.nextCursor, shape });
      found.push(...page.items);
    }
    let nextCursor = page.nextCursor;
    if (found.length > options.limit) {
      // More matched than asked for: the next page starts after the last one returned.
      found.length = options.limit;
      const last = found[found.length - 1] ?? {};
      nextCursor = encodeCursor({ [ATTR.pk]: last[ATTR.pk], [ATTR.sk]: last[ATTR.sk] });
    }
    const items = found.map(
      ({ id, tenant_id, type, actor, occurred_at, data }) => ({ id, tenant_id, type, actor, occurred_at, data }) as BillingEvent,
    );
    return { items, nextCursor };
  }
}
