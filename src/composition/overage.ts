import { clock } from '../platform/clock';
import { paymentProvider } from './payments';
import { eventPublisher } from './events';
import { table } from '../adapters/dynamodb/client';
import { InvoiceRepository } from '../adapters/dynamodb/invoices';
import { OverageRepository } from '../adapters/dynamodb/overages';
import { SubscriptionRepository } from '../adapters/dynamodb/subscriptions';
import { TenantRepository } from '../adapters/dynamodb/tenants';
import { UsageRepository } from '../adapters/dynamodb/usage';
import { PeriodRepository } from '../adapters/dynamodb/periods';
import { TimelineRepository } from '../adapters/dynamodb/timelines';
import { OverageBiller } from '../app/overage/biller';
import { OverageRun, planDuePeriods } from '../app/overage/run';
import type { MessageQueue } from '../adapters/sqs/sqs-queue';

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
