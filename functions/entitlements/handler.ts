import * as z from 'zod';
import { apiHandler } from '../../src/composition/http';
import { entitlements } from '../../src/composition/entitlements';
import { operation, tenantOf } from '../../src/http/api';

/** The largest spend cap: 10 billion minor units (100 million in a currency's major unit). */
const MAX_SPEND_CAP = 10_000_000_000;

const spendCapBody = z.strictObject({
  amount: z.union([
    z
      .number()
      .int('integer minor units (cents)')
      .min(0, 'must be 0 or more (minor units)')
      .max(MAX_SPEND_CAP, `at most ${MAX_SPEND_CAP} minor units`),
    z.null(),
  ]),
  currency: z
    .string()
    .regex(/^[A-Za-z]{3}$/, 'a currency code: usd, eur or gbp')
    .optional(),
});

/** `GET /entitlements`: may this tenant do that? One read of its entitlement item (SPEC section 4b). */
export const getEntitlements = operation({}, async ({ principal }) => ({
  status: 200,
  body: await entitlements().current(tenantOf(principal)),
}));

/** `POST /spend-cap`: a maximum overage per period, or `{"amount": null}` for none. */
export const setSpendCap = operation({ body: spendCapBody, idempotent: true }, async ({ body, principal }) => {
  const tenantId = tenantOf(principal);
  const answer = await entitlements().setSpendCap(tenantId, { type: 'user', id: principal?.userId ?? '' }, body);
  return { status: 200, body: { spend_cap: answer.spend_cap, entitlements: answer } };
});

/** `GET /admin/tenants/{id}/entitlements`: the same answer for an admin; 404 for a tenant billing never saw. */
export const adminEntitlements = operation({}, async ({ params }) => ({
  status: 200,
  body: await entitlements().ofTenant(params.id ?? ''),
}));

export const handler = apiHandler('entitlements', { getEntitlements, setSpendCap, adminEntitlements });
