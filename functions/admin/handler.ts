import { z } from 'zod';
import { apiHandler } from '../../src/composition/http';
import { operation } from '../../src/http/api';
import { root } from '../../src/composition/root';
import { overageRun } from '../../src/composition/overage';

const processBody = z
  .strictObject({
    tenant_id: z.string().min(1).max(128).optional(),
    period: z.iso.datetime().optional(),
    dry_run: z.boolean().optional(),
  })
  .optional();

/** `POST /admin/usage/process-overages`: the scheduled run's code, for an admin, inline. */
export const processOverages = operation({ body: processBody }, async ({ body }) => {
  const run = await overageRun();
  const summary = await run.process({
    ...(body?.tenant_id ? { tenantId: body.tenant_id } : {}),
    ...(body?.period ? { periodStart: new Date(body.period).toISOString() } : {}),
    dryRun: body?.dry_run ?? false,
  });
  return { status: 200, body: { dry_run: body?.dry_run ?? false, ...summary } };
});

export const overview = operation({}, async () => ({
  status: 200,
  body: await root().adminOverview(),
}));

export const handler = apiHandler('admin', { processOverages, overview });
