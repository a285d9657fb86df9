import { tableDefinition } from '../../../lib/table-definition';

/**
 * Every key of the single table is built here, and nowhere else (docs/data-model.md).
 * Repositories call these functions; they never write a prefix or attribute name themselves.
 */
export const ATTR = {
  pk: tableDefinition.partitionKey,
  sk: tableDefinition.sortKey,
  ttl: tableDefinition.ttlAttribute,
  gsi1pk: tableDefinition.indexes[0].partitionKey,
  gsi1sk: tableDefinition.indexes[0].sortKey,
  gsi2pk: tableDefinition.indexes[1].partitionKey,
  gsi2sk: tableDefinition.indexes[1].sortKey,
} as const;

const PREFIX = {
  tenant: 'TENANT#',
  event: 'EVENT#',
} as const;

export interface ItemKey {
  readonly PK: string;
  readonly SK: string;
}

export const tenantPk = (tenantId: string): string => `${PREFIX.tenant}${tenantId}`;

/** Billing events sort by time under their tenant: `EVENT#<iso time>#<id>`. */
export const billingEventKey = (tenantId: string, occurredAt: string, eventId: string): ItemKey => ({
  PK: tenantPk(tenantId),
  SK: `${PREFIX.event}${occurredAt}#${eventId}`,
});

/** The sort-key range of a tenant's events between two instants (inclusive). */
export const billingEventRange = (from?: string, to?: string): { start: string; end: string } => ({
  start: `${PREFIX.event}${from ?? ''}`,
  end: `${PREFIX.event}${to ?? '\uffff'}\uffff`,
});
