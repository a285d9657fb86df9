import { entitlementsApi } from '../../src/api/entitlements';
import { apiHandler } from '../../src/composition/http';
import { entitlements } from '../../src/composition/entitlements';
import { operation, tenantOf } from '../../src/http/api';

/** `GET /entitlements`: may this tenant do that? One read of its entitlement item (SPEC section 4b). */
export const getEntitlements = operation(entitlementsApi.getEntitlements, async ({ principal }) => ({
  status: 200,
  body: await entitlements().current(tenantOf(principal)),
}));

/** `POST /spend-cap`: a maximum overage per period, or `{"amount": null}` for none. */
export const setSpendCap = operation(entitlementsApi.setSpendCap, async ({ body, principal }) => {
  const tenantId = tenantOf(principal);
  const answer = await entitlements().setSpendCap(tenantId, { type: 'user', id: principal?.userId ?? '' }, body);
  return { status: 200, body: { spend_cap: answer.spend_cap, entitlements: answer } };
});

/** `GET /admin/tenants/{id}/entitlements`: the same answer for an admin; 404 for a tenant billing never saw. */
export const adminEntitlements = operation(entitlementsApi.adminEntitlements, async ({ params }) => ({
  status: 200,
  body: await entitlements().ofTenant(params.id ?? ''),
}));

export const handler = apiHandler('entitlements', { getEntitlements, setSpendCap, adminEntitlements });
