import { eventsApi } from '../../src/api/events';
import { apiHandler } from '../../src/composition/http';
import { operation, tenantOf } from '../../src/http/api';
import { root } from '../../src/composition/root';

/** `GET /events`: the tenant's append-only audit trail, newest first; nothing here changes it. */
export const listEvents = operation(eventsApi.listEvents, async ({ query, principal }) => {
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
