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
  subscription: 'SUB#',
  invoice: 'INVOICE#',
  invoices: 'INVOICES#',
  stripeCustomer: 'STRIPE_CUSTOMER#',
  stripeEvent: 'STRIPE_EVENT#',
} as const;

const PROFILE = 'PROFILE';
const MARKER = 'MARKER';

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

/** A tenant's profile: Stripe customer, currency, trial used, current subscription. */
export const profileKey = (tenantId: string): ItemKey => ({ PK: tenantPk(tenantId), SK: PROFILE });

/** GSI1 on the profile: find a tenant by its Stripe customer id (invoice webhooks). */
export const profileByCustomer = (customerId: string) => ({ GSI1PK: `${PREFIX.stripeCustomer}${customerId}`, GSI1SK: PROFILE });

export const subscriptionKey = (tenantId: string, subscriptionId: string): ItemKey => ({
  PK: tenantPk(tenantId),
  SK: `${PREFIX.subscription}${subscriptionId}`,
});

/** Invoices are read by id under the tenant (so another tenant's id is simply not found)... */
export const invoiceKey = (tenantId: string, invoiceId: string): ItemKey => ({
  PK: tenantPk(tenantId),
  SK: `${PREFIX.invoice}${invoiceId}`,
});

/** ...and listed newest first through GSI1. */
export const invoiceListing = (tenantId: string, createdAt?: string, invoiceId?: string) => ({
  GSI1PK: `${PREFIX.invoices}${tenantId}`,
  GSI1SK: createdAt === undefined ? '' : `${createdAt}#${invoiceId ?? ''}`,
});

/** One marker per Stripe event id: processed once. */
export const stripeEventKey = (eventId: string): ItemKey => ({ PK: `${PREFIX.stripeEvent}${eventId}`, SK: MARKER });

/** Attribute names of items, shared by repositories that write the same item. */
export const FIELD = {
  syncedAt: 'synced_at',
} as const;
