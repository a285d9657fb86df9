import { AdminActions } from '../app/admin/actions';
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
