import * as z from 'zod';
import { parseJson, toJson } from '../../platform/json';
import type { TenantEventMessage } from '../events/publisher';
import { WEBHOOK_EVENTS } from '../../domain/webhooks/events';

const eventType = z.enum(WEBHOOK_EVENTS);

const tenantEvent = z.object({
  id: z.string().min(1).max(200),
  type: eventType,
  created_at: z.string().min(1),
  data: z.record(z.string(), z.unknown()),
});

/** What the EventPublisher puts on the webhook queue: one event, for every subscribed endpoint. */
const tenantEventMessage = z.object({ tenant_id: z.string().min(1), event: tenantEvent });

/** What the fan-out puts back on the queue: the event for one endpoint, retried on its own. */
const deliveryMessage = z.object({ kind: z.literal('delivery'), tenant_id: z.string().min(1), endpoint_id: z.string().min(1), event: tenantEvent });

export type DeliveryMessage = z.infer<typeof deliveryMessage>;

export type WebhookQueueMessage = ({ kind: 'event' } & TenantEventMessage) | DeliveryMessage;

/** A message of the webhook queue, or null for a body that is neither kind (poison). */
export const parseWebhookMessage = (body: string): WebhookQueueMessage | null => {
  let json: unknown;
  try {
    json = parseJson(body);
  } catch {
    return null;
  }
  const delivery = deliveryMessage.safeParse(json);
  if (delivery.success) return delivery.data;
  const event = tenantEventMessage.safeParse(json);
  return event.success ? { kind: 'event', ...event.data } : null;
};

/**
 * The body of a delivery: the event with its tenant, serialized once and signed as sent; big
 * integers in its data (usage sums, amounts) keep every digit.
 */
export const deliveryBody = (message: DeliveryMessage): string =>
  toJson({
    id: message.event.id,
    type: message.event.type,
    created_at: message.event.created_at,
    tenant_id: message.tenant_id,
    data: message.event.data,
  });
