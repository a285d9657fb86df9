import * as z from 'zod';
import { apiHandler } from '../../src/composition/http';
import { operation, tenantOf } from '../../src/http/api';
import { root } from '../../src/composition/root';

const listQuery = z
  .strictObject({
    type: z.string().min(1).max(100).regex(/^[a-z_.]+$/, 'an event type such as subscription.created').optional(),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(50),
    cursor: z.string().min(1).max(2048).optional(),
  })
  .refine((q) => !q.from || !q.to || Date.parse(q.from) <= Date.parse(q.to), { message: 'from must not be after to', path: ['to'] });

/** `GET /events`: the tenant's append-only audit trail, newest first; nothing here changes it. */
export const listEvents = operation({ query: listQuery }, async ({ query, principal }) => {
  const tenantId = tenantOf(principal);
  const page = await root().billingEvents().list(tenantId, {
    limit: query.limit,
    ...(query.cursor ? { cursor: query.cursor } : {}),
    ...(query.type ? { type: query.type } : {}),
    ...(query.from ? { from: new Date(query.from).toISOString() } : {}),
    ...(query.to ? { to: new Date(query.to).toISOString() } : {}),
  });
  return { status: 200, body: { events: page.items, next_cursor: page.nextCursor } };
});

export const handler = apiHandler('events', { listEvents });
