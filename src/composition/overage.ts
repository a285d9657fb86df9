import { OverageBiller } from '../app/overage/biller';
import { OverageRun } from '../app/overage/run';
import { liveClock } from '../platform/clock';
import { paymentProvider } from './payments';
import { root } from './root';

/** The biller needs Stripe (the worker, the admin route, changes that take effect now). */
export const overageBiller = (): Promise<OverageBiller> =>
  root().sharedRetried('overageBiller', async () => {
    const provider = await paymentProvider();
    const { overages, usage, tenants, subscriptions, invoices, timelines, periods } = root().repositories();
    return new OverageBiller({ overages, usage, tenants, subscriptions, invoices, timelines, periods, publisher: root().publisher(), provider, clock: liveClock });
  });

export const overageRun = (): Promise<OverageRun> =>
  root().sharedRetried('overageRun', async () => new OverageRun(await overageBiller(), root().repositories().overages, liveClock));
