import { DirectoryRepository } from '../adapters/dynamodb/directory';
import { AdminActions } from '../app/admin/actions';
import { AdminTenants } from '../app/admin/tenants';
import { AdminExports } from '../app/admin/exports';
import { RevenueReports } from '../app/admin/revenue';
import { usageReports } from './usage';
import { webhookEndpoints } from './webhooks';
import { liveClock } from '../platform/clock';
import { entitlements } from './entitlements';
import { paymentProvider } from './payments';
import { root } from './root';

/** An operator's money actions on a tenant: they need Stripe, and they publish audit events. */
export const adminActions = (): Promise<AdminActions> =>
  root().sharedRetried('adminActions', async () => {
    const provider = await paymentProvider();
    const { tenants, subscriptions, invoices, mirror, events } = root().repositories();
    return new AdminActions({ provider, tenants, subscriptions, invoices, mirror, events, publisher: root().publisher(), entitlements: entitlements(), clock: liveClock });
  });

/** Tenant search and the whole picture of one tenant: reads only (no Stripe). */
export const adminTenants = (): AdminTenants =>
  root().shared('adminTenants', () => {
    const { tenants, subscriptions, invoices, events, entitlements: entitlementStore } = root().repositories();
    return new AdminTenants({
      directory: new DirectoryRepository(root().table()),
      tenants,
      entitlementStore,
      subscriptions,
      invoices,
      events,
      usage: usageReports(),
      webhooks: webhookEndpoints(),
      clock: liveClock,
    });
  });

/** CSV exports: reads only, a page of tenants at a time through the directory. */
export const adminExports = (): AdminExports =>
  root().shared('adminExports', () => {
    const { invoices, events } = root().repositories();
    return new AdminExports({ directory: new DirectoryRepository(root().table()), invoices, events, usage: usageReports() });
  });

/** The revenue report: the overview counters and one index partition per month (no Stripe). */
export const revenueReports = (): RevenueReports =>
  root().shared('revenueReports', () => {
    const { stats, events } = root().repositories();
    return new RevenueReports({ stats, events, clock: liveClock });
  });
