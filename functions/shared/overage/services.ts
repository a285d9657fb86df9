import { clock } from '../clock';
import { paymentProvider } from '../payments/provider';
import { eventPublisher } from '../events/services';
import { table } from '../store/client';
import { InvoiceRepository } from '../store/invoices';
import { OverageRepository } from '../store/overages';
import { SubscriptionRepository } from '../store/subscriptions';
import { TenantRepository } from '../store/tenants';
import { UsageRepository } from '../store/usage';
import { PeriodRepository } from '../store/periods';
import { TimelineRepository } from '../store/timelines';
import { OverageBiller } from './biller';
import { OverageRun, planDuePeriods } from './run';
import type { MessageQueue } from '../queue/sqs-queue';

const currentClock = { now: () => clock().now() };

let biller: Promise<OverageBiller> | undefined;

/** The biller needs Stripe (the worker, the admin route); the planner does not. */
export const overageBiller = (): Promise<OverageBiller> =>
  (biller ??= paymentProvider().then((provider) => {
    const t = table();
    return new OverageBiller({
      overages: new OverageRepository(t),
      usage: new UsageRepository(t),
      tenants: new TenantRepository(t),
      subscriptions: new SubscriptionRepository(t),
      invoices: new InvoiceRepository(t),
      timelines: new TimelineRepository(t),
      periods: new PeriodRepository(t),
      publisher: eventPublisher(),
      provider,
      clock: currentClock,
    });
  }));

export const overageRun = async (): Promise<OverageRun> => new OverageRun(await overageBiller(), new OverageRepository(table()), currentClock);

/** The planner only reads the index and enqueues: it needs no Stripe keys. */
export const planOverages = (queue: MessageQueue): Promise<number> =>
  planDuePeriods({ overages: new OverageRepository(table()), clock: currentClock }, queue);
