import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Currency } from '../../domain/money';
import type { InvoiceLineKind, InvoiceStatus } from '../../app/ports/payments';
import type { TableRef } from './client';
import { decodeCursor, encodeCursor } from './cursor';
import { ATTR, FIELD, invoiceKey, invoiceListing, invoicePrefix, tenantPk } from './keys';
import { isConditionFailure } from './conditions';

export interface InvoiceLine {
  readonly description: string;
  readonly amount: number;
  readonly quantity: number;
  readonly kind: InvoiceLineKind;
  readonly period_start: string;
  readonly period_end: string;
}

/** The SPEC section 8 invoice shape, with its lines. */
export interface Invoice {
  readonly id: string;
  readonly tenant_id: string;
  readonly subscription_id: string | null;
  readonly number: string | null;
  readonly status: InvoiceStatus;
  readonly billing_reason: string | null;
  readonly currency: Currency;
  readonly subtotal: number;
  readonly tax: number;
  readonly total: number;
  readonly amount_paid: number;
  readonly amount_due: number;
  readonly attempt_count: number;
  readonly next_payment_attempt: string | null;
  readonly period_start: string;
  readonly period_end: string;
  readonly hosted_invoice_url: string | null;
  readonly invoice_pdf: string | null;
  readonly created_at: string;
  readonly lines: readonly InvoiceLine[];
}

const strip = (item: Record<string, unknown>): Invoice => {
  const { PK: _pk, SK: _sk, GSI1PK: _g1, GSI1SK: _g2, [FIELD.syncedAt]: _s, ...invoice } = item;
  return invoice as unknown as Invoice;
};

export class InvoiceRepository {
  constructor(private readonly table: TableRef) {}

  /** Writes the mirror unless a newer read of the same invoice is stored. */
  async save(invoice: Invoice, syncedAt: Date): Promise<boolean> {
    try {
      await this.table.client.send(
        new PutCommand({
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
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
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
    const result = await this.table.client.send(
      new QueryCommand({
        TableName: this.table.tableName,
        IndexName: 'GSI1',
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': ATTR.gsi1pk },
        ExpressionAttributeValues: { ':pk': listing.GSI1PK },
        ScanIndexForward: false,
        Limit: options.limit,
        ExclusiveStartKey: decodeCursor(options.cursor, {
          fixed: { [ATTR.pk]: tenantPk(tenantId), [ATTR.gsi1pk]: listing.GSI1PK },
          sorted: { [ATTR.sk]: { prefix: invoicePrefix() }, [ATTR.gsi1sk]: null },
        }),
      }),
    );
    return { items: (result.Items ?? []).map(strip), nextCursor: encodeCursor(result.LastEvaluatedKey) };
  }
}
