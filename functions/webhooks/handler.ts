import * as z from 'zod';
import { apiHandler } from '../../src/composition/http';
import { WEBHOOK_EVENTS, type WebhookEventType } from '../../src/app/events/publisher';
import { operation, tenantOf } from '../../src/http/api';
import { webhookEndpoints } from '../../src/composition/webhooks';
import { deliveryAttemptView } from '../../src/app/webhooks/views';

const eventType = z.enum(WEBHOOK_EVENTS as [WebhookEventType, ...WebhookEventType[]]);
const events = z.array(eventType).min(1).max(50);
const url = z.string().trim().min(1).max(2048);

/** Without `id`: a new endpoint (`url` and `events` required). With `id`: a change to that endpoint. */
const configureBody = z
  .strictObject({ id: z.string().min(1).max(100).optional(), url: url.optional(), events: events.optional(), enabled: z.boolean().optional() })
  .superRefine((body, ctx) => {
    if (body.id === undefined) {
      if (body.url === undefined) ctx.addIssue({ code: 'custom', path: ['url'], message: 'required for a new endpoint' });
      if (body.events === undefined) ctx.addIssue({ code: 'custom', path: ['events'], message: 'required for a new endpoint' });
    } else if (body.url === undefined && body.events === undefined && body.enabled === undefined) {
      ctx.addIssue({ code: 'custom', path: ['body'], message: 'give url, events or enabled to change' });
    }
  });

const rotateBody = z.strictObject({ keep_previous_hours: z.number().int().min(0).max(72).optional() }).optional();

const deliveriesQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(2048).optional(),
});

/** `POST /webhooks/configure`: 201 `{webhook, secret}` for a new endpoint, 200 `{webhook}` for a change. */
export const configureWebhook = operation({ body: configureBody }, async (request) => {
  const tenantId = tenantOf(request.principal);
  const { id, url: target, events: types, enabled } = request.body;
  if (id !== undefined) {
    const webhook = await webhookEndpoints().update(tenantId, id, {
      ...(target !== undefined ? { url: target } : {}),
      ...(types !== undefined ? { events: types } : {}),
      ...(enabled !== undefined ? { enabled } : {}),
    });
    return { status: 200, body: { webhook } };
  }
  if (target === undefined || types === undefined) throw new Error('configure body passed validation without url or events');
  const created = await webhookEndpoints().create(tenantId, { url: target, events: types, ...(enabled !== undefined ? { enabled } : {}) });
  return { status: 201, body: created };
});

export const listWebhooks = operation({}, async (request) => ({
  status: 200,
  body: { webhooks: await webhookEndpoints().list(tenantOf(request.principal)) },
}));

export const rotateWebhookSecret = operation({ body: rotateBody }, async (request) => ({
  status: 200,
  body: await webhookEndpoints().rotateSecret(tenantOf(request.principal), request.params.id ?? '', request.body?.keep_previous_hours ?? 0),
}));

export const deleteWebhook = operation({}, async (request) => {
  const id = request.params.id ?? '';
  await webhookEndpoints().remove(tenantOf(request.principal), id);
  return { status: 200, body: { id, deleted: true } };
});

export const listWebhookDeliveries = operation({ query: deliveriesQuery }, async (request) => {
  const page = await webhookEndpoints().deliveries(tenantOf(request.principal), {
    limit: request.query.limit,
    ...(request.query.cursor ? { cursor: request.query.cursor } : {}),
  });
  return { status: 200, body: { deliveries: page.items.map(deliveryAttemptView), next_cursor: page.nextCursor } };
});

export const handler = apiHandler('webhooks', {
  configureWebhook,
  listWebhooks,
  rotateWebhookSecret,
  deleteWebhook,
  listWebhookDeliveries,
});
