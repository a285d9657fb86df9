/** The contract of the `events` routes (see `define.ts`): the tenant's billing events (audit trail). */
import * as z from 'zod';
import { contract, lazy, type OperationContract } from './define';
import { instant, nextCursor } from './fields';

const listQuery = z
  .strictObject({
    type: z.string().min(1).max(100).regex(/^[a-z_.]+$/, 'an event type such as subscription.created').optional(),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional().meta({ description: 'Not before `from`' }),
    limit: z.coerce.number().int().min(1).max(100).default(50),
    cursor: z.string().min(1).max(2048).optional(),
  })
  .refine((q) => !q.from || !q.to || Date.parse(q.from) <= Date.parse(q.to), { message: 'from must not be after to', path: ['to'] });

/** Who caused a change: a user (by id), Stripe, or the system itself. */
const actorSchema = lazy(() =>
  z
    .discriminatedUnion('type', [z.strictObject({ type: z.literal('user'), id: z.string() }), z.strictObject({ type: z.enum(['stripe', 'system']) })])
    .meta({ id: 'Actor' }),
);

/** An audit-trail entry: what changed money or access, who did it, when. */
export const billingEventSchema = lazy(() =>
  z
    .strictObject({
      id: z.string(),
      tenant_id: z.string(),
      type: z.string().meta({ description: 'E.g. `subscription.created`, `invoice.paid`, `spend_cap.updated`' }),
      actor: actorSchema(),
      occurred_at: instant,
      data: z.record(z.string(), z.unknown()).meta({ description: 'What the event is about; its fields depend on `type`' }),
    })
    .meta({ id: 'BillingEvent' }),
);

export const eventsApi = {
  listEvents: contract({
    summary: "List the tenant's billing events",
    description: 'The append-only audit trail, newest first, optionally by type and time range; paginated.',
    query: listQuery,
    responses: () => ({
      200: { description: 'A page of events.', schema: z.strictObject({ events: z.array(billingEventSchema()), next_cursor: nextCursor }) },
    }),
    example: { query: { type: 'subscription.created', limit: '20' } },
  }),
} as const satisfies Record<string, OperationContract>;
