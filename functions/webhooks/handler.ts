import { webhooksApi } from '../../src/api/webhooks';
import { apiHandler } from '../../src/composition/http';
import { operation, tenantOf } from '../../src/http/api';
import { webhookEndpoints } from '../../src/composition/webhooks';
import { deliveryAttemptView } from '../../src/app/webhooks/views';

/** `POST /webhooks/configure`: 201 `{webhook, secret}` for a new endpoint, 200 `{webhook}` for a change. */
export const configureWebhook = operation(webhooksApi.configureWebhook, async (request) => {
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

export const listWebhooks = operation(webhooksApi.listWebhooks, async (request) => ({
  status: 200,
  body: { webhooks: await webhookEndpoints().list(tenantOf(request.principal)) },
}));

export const rotateWebhookSecret = operation(webhooksApi.rotateWebhookSecret, async (request) => ({
  status: 200,
  body: await webhookEndpoints().rotateSecret(tenantOf(request.principal), request.params.id ?? '', request.body?.keep_previous_hours ?? 0),
}));

export const deleteWebhook = operation(webhooksApi.deleteWebhook, async (request) => {
  const id = request.params.id ?? '';
  await webhookEndpoints().remove(tenantOf(request.principal), id);
  return { status: 200, body: { id, deleted: true } };
});

export const listWebhookDeliveries = operation(webhooksApi.listWebhookDeliveries, async (request) => {
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
