import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DeliveryAttempt, DeliveryClaim, EndpointChanges, WebhookEndpoint, WebhookStore } from '../../app/ports/webhooks';
import type { TableRef } from './client';
import { tenantCursorShape } from './cursor';
import {
  ATTR,
  tenantPk,
  WEBHOOK_FIELD,
  webhookAttemptKey,
  webhookAttemptPrefix,
  webhookCountKey,
  webhookDeliveryKey,
  webhookEndpointKey,
  webhookEndpointPrefix,
} from './keys';
import { ConditionFailed, conditionalWrite, deleteCounted, isConditionFailure, putCounted } from './conditions';
import { queryAll, queryPage } from './query';

/** Attempts stay listed for 30 days; delivery state outlives the queue's 4-day retention. */
const ATTEMPT_TTL_SECONDS = 30 * 24 * 3600;
const DELIVERY_TTL_SECONDS = 7 * 24 * 3600;

/** The first item of a transaction failed its condition (the others come after it). */

const endpointOf = (item: Record<string, unknown>): WebhookEndpoint => {
  const { [ATTR.pk]: _pk, [ATTR.sk]: _sk, ...endpoint } = item;
  return endpoint as unknown as WebhookEndpoint;
};

const attemptOf = (item: Record<string, unknown>): DeliveryAttempt => {
  const { [ATTR.pk]: _pk, [ATTR.sk]: _sk, [ATTR.ttl]: _ttl, ...attempt } = item;
  return attempt as unknown as DeliveryAttempt;
};

/**
 * Tenant webhook endpoints, the per-(endpoint, event) delivery state that makes each event
 * reach each endpoint once after a success, and the log of delivery attempts. Every read is
 * under the tenant's partition, so another tenant's endpoint id is not found.
 */
export class WebhookRepository implements WebhookStore {
  constructor(
    private readonly table: TableRef,
    private readonly options: { readonly endpointLimit: number },
  ) {}

  /** Creates an endpoint unless the tenant already has `endpointLimit` (checked in the same transaction). */
  async create(endpoint: WebhookEndpoint): Promise<'created' | 'limit_reached'> {
    return putCounted(this.table, { key: webhookCountKey(endpoint.tenant_id), attribute: WEBHOOK_FIELD.count, limit: this.options.endpointLimit }, [
      { ...webhookEndpointKey(endpoint.tenant_id, endpoint.id), ...endpoint },
    ]);
  }

  async get(tenantId: string, endpointId: string): Promise<WebhookEndpoint | null> {
    const { Item } = await this.table.client.send(
      new GetCommand({ TableName: this.table.tableName, Key: webhookEndpointKey(tenantId, endpointId), ConsistentRead: true }),
    );
    return Item ? endpointOf(Item) : null;
  }

  /** All of a tenant's endpoints (a handful: the count is capped). */
  async list(tenantId: string): Promise<WebhookEndpoint[]> {
    const items = await queryAll(this.table, {
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': ATTR.pk, '#sk': ATTR.sk },
      ExpressionAttributeValues: { ':pk': tenantPk(tenantId), ':prefix': webhookEndpointPrefix() },
      ConsistentRead: true,
    });
    return items.map(endpointOf).sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
  }

  /** Applies `changes` to an existing endpoint; null when the tenant has no such endpoint. */
  async update(tenantId: string, endpointId: string, changes: EndpointChanges): Promise<WebhookEndpoint | null> {
    const entries = Object.entries(changes).filter(([, value]) => value !== undefined);
    try {
      const { Attributes } = await this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: webhookEndpointKey(tenantId, endpointId),
          UpdateExpression: `SET ${entries.map((_, i) => `#f${i} = :v${i}`).join(', ')}`,
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#pk': ATTR.pk, ...Object.fromEntries(entries.map(([name], i) => [`#f${i}`, name])) },
          ExpressionAttributeValues: Object.fromEntries(entries.map(([, value], i) => [`:v${i}`, value])),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes ? endpointOf(Attributes) : null;
    } catch (error) {
      if (isConditionFailure(error)) return null;
      throw error;
    }
  }

  /** Deletes an endpoint and frees its place under the cap; false when there was none. */
  remove(tenantId: string, endpointId: string): Promise<boolean> {
    return deleteCounted(this.table, { key: webhookCountKey(tenantId), attribute: WEBHOOK_FIELD.count }, webhookEndpointKey(tenantId, endpointId));
  }

  /**
   * Takes the delivery of one event to one endpoint for one attempt: counts the attempt and
   * holds a lease (wall-clock milliseconds) so that a duplicate message does not send in
   * parallel. Refused when the event was already delivered there, or someone holds the lease.
   */
  async claim(tenantId: string, endpointId: string, eventId: string, nowMs: number, leaseMs: number): Promise<DeliveryClaim> {
    const key = webhookDeliveryKey(tenantId, endpointId, eventId);
    const names = { '#attempts': WEBHOOK_FIELD.attempts, '#lease': WEBHOOK_FIELD.leaseUntil, '#delivered': WEBHOOK_FIELD.deliveredAt, '#ttl': ATTR.ttl };
    let current: Record<string, unknown> | undefined;
    try {
      const attributes = await conditionalWrite(this.table, {
        Update: {
          Key: key,
          UpdateExpression: 'SET #attempts = if_not_exists(#attempts, :zero) + :one, #lease = :until, #ttl = :ttl',
          ConditionExpression: 'attribute_not_exists(#delivered) AND (attribute_not_exists(#lease) OR #lease < :now)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: {
            ':zero': 0,
            ':one': 1,
            ':now': nowMs,
            ':until': nowMs + leaseMs,
            ':ttl': Math.floor(nowMs / 1000) + DELIVERY_TTL_SECONDS,
          },
          ReturnValues: 'ALL_NEW',
        },
      });
      const attempt = attributes?.[WEBHOOK_FIELD.attempts];
      if (typeof attempt !== 'number') throw new Error('delivery claim returned no attempt count');
      return { kind: 'claimed', attempt };
    } catch (error) {
      if (!(error instanceof ConditionFailed)) throw error;
      // Delivered, or someone holds the lease: the state as it was says which.
      current = error.item;
    }
    if (current?.[WEBHOOK_FIELD.deliveredAt] !== undefined) return { kind: 'delivered' };
    const lease = current?.[WEBHOOK_FIELD.leaseUntil];
    const left = typeof lease === 'number' ? lease - nowMs : 0;
    return { kind: 'busy', retryInSeconds: Math.max(1, Math.ceil(left / 1000)) };
  }

  /**
   * Logs an attempt and, in the same transaction, ends its claim: a success marks the event
   * delivered to the endpoint (later copies are dropped), a failure releases the lease.
   */
  async recordAttempt(attempt: DeliveryAttempt, nowMs: number): Promise<void> {
    const delivered = attempt.status === 'succeeded';
    await this.table.client.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: this.table.tableName,
              Item: {
                ...webhookAttemptKey(attempt.tenant_id, attempt.attempted_at, attempt.event_id, attempt.endpoint_id, attempt.attempt),
                ...attempt,
                [ATTR.ttl]: Math.floor(nowMs / 1000) + ATTEMPT_TTL_SECONDS,
              },
            },
          },
          {
            Update: {
              TableName: this.table.tableName,
              Key: webhookDeliveryKey(attempt.tenant_id, attempt.endpoint_id, attempt.event_id),
              UpdateExpression: delivered ? 'SET #delivered = :at REMOVE #lease' : 'REMOVE #lease',
              ExpressionAttributeNames: { '#lease': WEBHOOK_FIELD.leaseUntil, ...(delivered ? { '#delivered': WEBHOOK_FIELD.deliveredAt } : {}) },
              ...(delivered ? { ExpressionAttributeValues: { ':at': attempt.attempted_at } } : {}),
            },
          },
        ],
      }),
    );
  }

  /** The tenant's delivery attempts, newest first. */
  async listAttempts(tenantId: string, options: { limit: number; cursor?: string }): Promise<{ items: DeliveryAttempt[]; nextCursor: string | null }> {
    const page = await queryPage(
      this.table,
      {
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames: { '#pk': ATTR.pk, '#sk': ATTR.sk },
        ExpressionAttributeValues: { ':pk': tenantPk(tenantId), ':prefix': webhookAttemptPrefix() },
        ScanIndexForward: false,
      },
      { limit: options.limit, cursor: options.cursor, shape: tenantCursorShape(tenantId, { prefix: webhookAttemptPrefix() }) },
    );
    return { items: page.items.map(attemptOf), nextCursor: page.nextCursor };
  }
}
