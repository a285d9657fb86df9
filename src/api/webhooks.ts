/** The contract of the `webhooks` routes (see `define.ts`): a tenant's webhook endpoints and their deliveries. */
import * as z from 'zod';
import { contract, lazy, type OperationContract } from './define';
import { instant, nextCursor } from './fields';
import { WEBHOOK_EVENTS } from '../domain/webhooks/events';

/** The event types a tenant can subscribe to (the publisher maps audit-trail types onto these). */
const eventType = z.enum(WEBHOOK_EVENTS);
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

/** An endpoint as the API shows it: never a secret. */
export const webhookSchema = lazy(() =>
  z
    .strictObject({
      id: z.string().regex(/^we_[0-9a-f]{24}$/),
      url: z.url().meta({ description: 'As given, normalized' }),
      events: z.array(eventType),
      enabled: z.boolean(),
      created_at: instant,
      updated_at: instant,
      previous_secret_expires_at: instant.nullable().meta({ description: 'After a rotation with a grace period: until when the previous secret still signs' }),
    })
    .meta({ id: 'Webhook' }),
);

/** One HTTP attempt to deliver one event to one endpoint. */
export const deliveryAttemptSchema = lazy(() =>
  z
    .strictObject({
      endpoint_id: z.string(),
      event_id: z.string(),
      event_type: z.string(),
      attempt: z.int().positive().meta({ description: '1 for the first attempt of this event to this endpoint' }),
      status: z.enum(['succeeded', 'retrying', 'failed']).meta({ description: '`retrying`: another attempt is scheduled; `failed`: the last one failed' }),
      status_code: z.int().nullable().meta({ description: "The receiver's HTTP status; null when no answer came" }),
      latency_ms: z.int().nonnegative().nullable(),
      error: z.string().nullable(),
      attempted_at: instant,
      next_attempt_at: instant.nullable(),
    })
    .meta({ id: 'WebhookDeliveryAttempt' }),
);

/** A signing secret, shown once (on create and on rotation). */
const signingSecret = z.string().regex(/^whsec_[\w-]+$/);
const withSecret = lazy(() => z.strictObject({ webhook: webhookSchema(), secret: signingSecret }));

export const webhooksApi = {
  configureWebhook: contract({
    summary: 'Configure a webhook endpoint',
    description:
      'Without `id`: a new endpoint for `url` and `events` (201, with its signing secret, shown this once). With `id`: a change of ' +
      "that endpoint's `url`, `events` or `enabled` (200, the secret stays). The URL must be https to a public address.",
    body: configureBody,
    responses: () => ({
      200: { description: 'The endpoint, changed.', schema: z.strictObject({ webhook: webhookSchema() }) },
      201: { description: 'The new endpoint and its signing secret (shown once).', schema: withSecret() },
    }),
    errors: { 404: 'With `id`: no such endpoint of this tenant.', 409: 'The tenant has 10 endpoints already; delete one first.' },
    example: { body: { url: 'https://hooks.example.com/securenet', events: ['invoice.paid', 'payment.failed'] } },
  }),
  listWebhooks: contract({
    summary: "List the tenant's webhook endpoints",
    description: 'Oldest first; never a secret.',
    responses: () => ({ 200: { description: "The tenant's endpoints.", schema: z.strictObject({ webhooks: z.array(webhookSchema()) }) } }),
  }),
  listWebhookDeliveries: contract({
    summary: 'List webhook delivery attempts',
    description: "Every attempt to deliver an event to one of the tenant's endpoints, newest first, paginated.",
    query: deliveriesQuery,
    responses: () => ({
      200: {
        description: 'A page of attempts; `next_cursor` is null on the last page.',
        schema: z.strictObject({ deliveries: z.array(deliveryAttemptSchema()), next_cursor: nextCursor }),
      },
    }),
    example: { query: { limit: '10' } },
  }),
  rotateWebhookSecret: contract({
    summary: "Rotate a webhook endpoint's signing secret",
    description:
      'A new signing secret, shown this once. With `keep_previous_hours` > 0 deliveries are signed with the previous secret as well ' +
      'until then, so the receiver can switch without a gap.',
    params: { id: 'The endpoint id (`we_...`)' },
    body: rotateBody,
    responses: () => ({ 200: { description: 'The endpoint and its new signing secret (shown once).', schema: withSecret() } }),
    errors: { 404: 'No such endpoint of this tenant.' },
    example: { body: { keep_previous_hours: 24 } },
  }),
  deleteWebhook: contract({
    summary: 'Delete a webhook endpoint',
    params: { id: 'The endpoint id (`we_...`)' },
    responses: () => ({ 200: { description: 'Deleted.', schema: z.strictObject({ id: z.string(), deleted: z.literal(true) }) } }),
    errors: { 404: 'No such endpoint of this tenant.' },
  }),
} as const satisfies Record<string, OperationContract>;
