import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { liveClock, type Clock } from '../../platform/clock';
import type { Invoice, InvoiceStore } from '../../app/ports/invoices';
import type { TableRef } from './client';
import { ATTR, FIELD, INDEX, invoiceKey, invoiceListing, invoicePrefix, tenantPk } from './keys';
import { cancellationCodes, CANCELLATION } from './conditions';
import { entitlementInvoiceWrite } from './entitlements';
import { queryPage } from './query';
import { billingEventItem } from './billing-events';
import { invoiceRevenue, REVENUE_EVENT } from '../../domain/revenue';

const strip = (item: Record<string, unknown>): Invoice => {
  const { [ATTR.pk]: _pk, [ATTR.sk]: _sk, [ATTR.gsi1pk]: _g1, [ATTR.gsi1sk]: _g2, [FIELD.syncedAt]: _s, ...invoice } = item;
  return invoice as unknown as Invoice;
};

/** Statuses of an invoice Stripe finalized (its amounts are fixed from then on). */
const FINALIZED: ReadonlySet<string> = new Set(['open', 'paid', 'uncollectible', 'void']);

/**
 * The revenue report's facts of an invoice, written with its mirror: `revenue.invoiced` once it
 * is finalized, and `revenue.voided` beside it once voided, both in the month the invoice was
 * created. Their ids and times derive from the invoice, so each later save of it rewrites the same
 * items with the same figures: recorded once, whichever read of the invoice arrives first.
 */
const revenueWrites = (table: TableRef, invoice: Invoice) => {
  if (!FINALIZED.has(invoice.status)) return [];
  const data = { invoice_id: invoice.id, number: invoice.number, currency: invoice.currency, ...invoiceRevenue(invoice) };
  const types = invoice.status === 'void' ? [REVENUE_EVENT.invoiced, REVENUE_EVENT.voided] : [REVENUE_EVENT.invoiced];
  return types.map((type) => ({
    Put: {
      TableName: table.tableName,
      Item: billingEventItem(invoice.tenant_id, { id: `${type}:${invoice.id}`, type, actor: { type: 'stripe' }, occurredAt: new Date(invoice.created_at), data }),
    },
  }));
};

export class InvoiceRepository implements InvoiceStore {
  constructor(
    private readonly table: TableRef,
    private readonly clock: Clock = liveClock,
  ) {}

  /**
   * Writes the mirror unless a newer read of the same invoice is stored; in the same
   * transaction, the entitlement item records it as unpaid (a failed payment) or settled.
   */
  async save(invoice: Invoice, syncedAt: Date): Promise<boolean> {
    try {
      await this.table.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.table.tableName,
                Item: {
                  ...invoiceKey(invoice.tenant_id, invoice.id),
                  ...invoiceListing(invoice.tenant_id, invoice.created_at, invoice.id),
                  ...invoice,
                  [FIELD.syncedAt]: syncedAt.getTime(),
                },
                ConditionExpression: 'attribute_not_exists(#synced) OR #synced <= :synced',
                ExpressionAttributeNames: { '#synced': FIELD.syncedAt },
                ExpressionAttributeValues: { ':synced': syncedAt.getTime() },
              },
            },
            entitlementInvoiceWrite(this.table, invoice, this.clock.now()),
            ...revenueWrites(this.table, invoice),
          ],
        }),
      );
      return true;
    } catch (error) {
      if (cancellationCodes(error)?.[0] === CANCELLATION.conditionFailed) return false;
      throw error;
    }
  }

  /** One of the tenant's invoices; another tenant's id is simply not there. */
  async get(tenantId: string, invoiceId: string): Promise<Invoice | null> {
    const { Item } = await this.table.client.send(
      new GetCommand({ TableName: this.table.tableName, Key: invoiceKey(tenantId, invoiceId) }),
    );
    return Item ? strip(Item) : null;
  }

  /**
   * The renewal invoice of a subscription for the period that ended at `periodEnd`, while it
   * is still a draft (Stripe keeps it open for changes for about an hour); from our mirror.
   */
  async draftRenewal(tenantId: string, subscriptionId: string, periodEnd: string): Promise<Invoice | null> {
    const { items } = await this.list(tenantId, { limit: 10 });
    return (
      items.find(
        (i) => i.status === 'draft' && i.subscription_id === subscriptionId && i.billing_reason === 'subscription_cycle' && i.period_end === periodEnd,
      ) ?? null
    );
  }

  async list(tenantId: string, options: { limit: number; cursor?: string }): Promise<{ items: Invoice[]; nextCursor: string | null }> {
    const listing = invoiceListing(tenantId);
    const page = await queryPage(
      this.table,
      {
        IndexName: INDEX.gsi1,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': ATTR.gsi1pk },
        ExpressionAttributeValues: { ':pk': listing.GSI1PK },
        ScanIndexForward: false,
      },
      {
        limit: options.limit,
        cursor: options.cursor,
        shape: {
          fixed: { [ATTR.pk]: tenantPk(tenantId), [ATTR.gsi1pk]: listing.GSI1PK },
          sorted: { [ATTR.sk]: { prefix: invoicePrefix() }, [ATTR.gsi1sk]: null },
        },
      },
    );
    return { items: page.items.map(strip), nextCursor: page.nextCursor };
  }
}
