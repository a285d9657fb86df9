import { randomUUID } from 'node:crypto';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { TableRef } from './client';
import { decodeCursor, encodeCursor, tenantCursorShape } from './cursor';
import { ATTR, billingEventKey, billingEventRange, tenantPk } from './keys';
import { putIfAbsent } from './conditions';

/** Who caused a change: a user (by id), Stripe, or the system itself. */
export type Actor = { readonly type: 'user'; readonly id: string } | { readonly type: 'stripe' | 'system' };

export interface BillingEvent {
  readonly id: string;
  readonly tenant_id: string;
  readonly type: string;
  readonly actor: Actor;
  readonly occurred_at: string;
  readonly data: Record<string, unknown>;
}

export interface NewBillingEvent {
  readonly type: string;
  readonly actor: Actor;
  readonly occurredAt: Date;
  readonly data?: Record<string, unknown>;
  /** A deterministic id makes a retried append a no-op (e.g. derived from a Stripe event id). */
  readonly id?: string;
}

export interface EventPage {
  readonly items: BillingEvent[];
  readonly nextCursor: string | null;
}

/**
 * The append-only audit trail of everything that changed money or access. Items are only ever
 * put with `attribute_not_exists`: nothing here updates or deletes an event.
 */
export class BillingEventsRepository {
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
    const result = await this.table.client.send(
      new QueryCommand({
        TableName: this.table.tableName,
        KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :start AND :end',
        ExpressionAttributeNames: { '#pk': ATTR.pk, '#sk': ATTR.sk, ...(options.type ? { '#type': 'type' } : {}) },
        ExpressionAttributeValues: {
          ':pk': tenantPk(tenantId),
          ':start': range.start,
          ':end': range.end,
          ...(options.type ? { ':type': options.type } : {}),
        },
        ...(options.type ? { FilterExpression: '#type = :type' } : {}),
        ScanIndexForward: false,
        Limit: options.limit,
        ExclusiveStartKey: decodeCursor(options.cursor, tenantCursorShape(tenantId, range)),
      }),
    );
    const items = (result.Items ?? []).map(
      ({ id, tenant_id, type, actor, occurred_at, data }) => ({ id, tenant_id, type, actor, occurred_at, data }) as BillingEvent,
    );
    return { items, nextCursor: encodeCursor(result.LastEvaluatedKey) };
  }
}
