import { adminApi, monthIndex } from '../../src/api/admin';
import { apiHandler } from '../../src/composition/http';
import { operation } from '../../src/http/api';
import { root } from '../../src/composition/root';
import { overageRun } from '../../src/composition/overage';
import { adminActions, adminExports, adminTenants, revenueReports } from '../../src/composition/admin';
import { EXPORT_KINDS, type ExportKind } from '../../src/domain/exports';
import { InvalidInput } from '../../src/app/errors';
import type { ApiRequest } from '../../src/http/api';

/**
 * The tenant named by the path, the admin from the token, and the request's `Idempotency-Key`,
 * which every action requires (a retried click must not credit or refund twice).
 */
const actionOf = (request: ApiRequest<{ reason?: string | undefined }, unknown>) => {
  const key = request.headers['idempotency-key'];
  // The route table requires the key on these routes: `operation()` has answered 400 without one.
  if (!key) throw new Error('an admin action ran without the Idempotency-Key its route requires');
  return {
    tenantId: request.params.id ?? '',
    ctx: { admin: { type: 'user' as const, id: request.principal?.userId ?? '' }, reason: request.body.reason ?? 'payment retried by an admin', idempotencyKey: key },
  };
};

/** `GET /admin/tenants`: search by tenant id, email or name (prefix, any case), status, plan; through an index, never a scan. */
export const searchTenants = operation(adminApi.searchTenants, async ({ query }) => {
  const { limit, cursor, ...criteria } = query;
  return { status: 200, body: await adminTenants().search(criteria, { limit, ...(cursor ? { cursor } : {}) }) };
});

/** `GET /admin/tenants/{id}`: the whole picture of one tenant; 404 for a tenant billing never saw. */
export const getTenant = operation(adminApi.getTenant, async ({ params }) => ({ status: 200, body: await adminTenants().picture(params.id ?? '') }));

const exportFile = (file: string | undefined): ExportKind => {
  const kind = EXPORT_KINDS.find((k) => `${k}.csv` === file);
  if (!kind) throw new InvalidInput('Unknown export', [{ field: 'kind', message: `one of ${EXPORT_KINDS.map((k) => `${k}.csv`).join(', ')}` }]);
  return kind;
};

/**
 * `GET /admin/exports/{kind}.csv?from&to[&tenant_id][&limit&cursor]`: RFC 4180 CSV with a header
 * row, `limit` tenants per page; `X-Next-Cursor` names the next page (absent on the last).
 */
export const exportCsv = operation(adminApi.exportCsv, async ({ params, query }) => {
  const kind = exportFile(params.file);
  const page = await adminExports().page(
    kind,
    { from: new Date(query.from), to: new Date(query.to) },
    { tenants: query.limit, ...(query.cursor ? { cursor: query.cursor } : {}), ...(query.tenant_id ? { tenantId: query.tenant_id } : {}) },
  );
  return {
    status: 200,
    text: page.csv,
    headers: {
      'content-type': 'text/csv; charset=utf-8; header=present',
      'content-disposition': `attachment; filename="${kind}-${query.from.slice(0, 10)}-${query.to.slice(0, 10)}.csv"`,
      ...(page.nextCursor ? { 'x-next-cursor': page.nextCursor } : {}),
    },
  };
});

/** `POST /admin/tenants/{id}/credit`: a customer balance credit, used by the next invoices. */
export const creditTenant = operation(adminApi.creditTenant, async (request) => {
  const { tenantId, ctx } = actionOf(request);
  return { status: 200, body: await (await adminActions()).credit(tenantId, ctx, request.body) };
});

/** `POST /admin/tenants/{id}/refund`: a credit note with a refund on a paid invoice, never more than paid. */
export const refundTenant = operation(adminApi.refundTenant, async (request) => {
  const { tenantId, ctx } = actionOf(request);
  return { status: 200, body: await (await adminActions()).refund(tenantId, ctx, request.body) };
});

/** `POST /admin/tenants/{id}/trial`: a later trial end, once a week at most. */
export const extendTrial = operation(adminApi.extendTrial, async (request) => {
  const { tenantId, ctx } = actionOf(request);
  return { status: 200, body: await (await adminActions()).extendTrial(tenantId, ctx, request.body) };
});

/** `POST /admin/tenants/{id}/retry-payment`: pay an open invoice now; a decline is a 402. */
export const retryPayment = operation(adminApi.retryPayment, async (request) => {
  const { tenantId, ctx } = actionOf(request);
  return { status: 200, body: await (await adminActions()).retryPayment(tenantId, ctx, request.body) };
});

/** `POST /admin/usage/process-overages`: the scheduled run's code, for an admin, inline. */
export const processOverages = operation(adminApi.processOverages, async ({ body }) => {
  const run = await overageRun();
  const summary = await run.process({
    ...(body?.tenant_id ? { tenantId: body.tenant_id } : {}),
    ...(body?.period ? { periodStart: new Date(body.period).toISOString() } : {}),
    dryRun: body?.dry_run ?? false,
  });
  return { status: 200, body: { dry_run: body?.dry_run ?? false, ...summary } };
});

export const overview = operation(adminApi.overview, async () => ({
  status: 200,
  body: await root().adminOverview(),
}));

const monthName = (index: number): string => `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;

/**
 * `GET /admin/reports/revenue?from&to&currency`: per month (`YYYY-MM`, default the last 12 up to
 * this one) and currency, MRR movements and ending MRR, invoiced revenue with usage apart, credits
 * and refunds.
 */
export const revenueReport = operation(adminApi.revenueReport, async ({ query }) => {
  const reports = revenueReports();
  const to = query.to ?? (query.from ? monthName(Math.min(monthIndex(query.from) + 11, monthIndex(reports.thisMonth()))) : reports.thisMonth());
  const from = query.from ?? monthName(monthIndex(to) - 11);
  if (from > to) throw new InvalidInput('Invalid report range', [{ field: 'from', message: 'must not be after to' }]);
  return { status: 200, body: await reports.report({ from, to, ...(query.currency ? { currency: query.currency } : {}) }) };
});

export const handler = apiHandler('admin', { processOverages, overview, searchTenants, getTenant, exportCsv, revenueReport, creditTenant, refundTenant, extendTrial, retryPayment });
