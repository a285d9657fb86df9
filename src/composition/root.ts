import { SQSClient } from '@aws-sdk/client-sqs';
import { queueUrlVariable, type QueueRef } from '../../contracts/environment';
import { BillingEventsRepository } from '../adapters/dynamodb/billing-events';
import { createTableRef, type TableRef } from '../adapters/dynamodb/client';
import { EntitlementRepository } from '../adapters/dynamodb/entitlements';
import { InvoiceRepository } from '../adapters/dynamodb/invoices';
import { OverageRepository } from '../adapters/dynamodb/overages';
import { PeriodRepository } from '../adapters/dynamodb/periods';
import { StatsRepository } from '../adapters/dynamodb/stats';
import { SubscriptionRepository } from '../adapters/dynamodb/subscriptions';
import { TenantRepository } from '../adapters/dynamodb/tenants';
import { TimelineRepository } from '../adapters/dynamodb/timelines';
import { UsageRepository } from '../adapters/dynamodb/usage';
import { SqsQueue } from '../adapters/sqs/sqs-queue';
import { SubscriptionMirror } from '../app/billing/mirror';
import { adminOverview } from '../app/billing/overview';
import { EventPublisher } from '../app/events/publisher';
import { liveClock } from '../platform/clock';
import { queueConfig, storeConfig } from '../platform/config';
import { perEnvironment } from '../platform/environment';

const tableObservers: ((table: TableRef) => void)[] = [];

/** Benchmarks only: sees every table a container opens (to meter what the handlers consume). */
export const observeTables = (observer: (table: TableRef) => void): void => {
  tableObservers.push(observer);
};

/**
 * The composition root: the one container of a function, holding every client, adapter and
 * use case it builds, each on first use and kept as long as the Lambda container (locally,
 * one container per function: see platform/environment.ts). It reads configuration only for
 * what is asked of it, so a function is asked only for the variables its declared needs give
 * it (contracts/environment.ts). The shared infrastructure is built here; the use cases are
 * built by the area modules beside it (billing, payments, overage, usage, webhooks), each
 * through `shared`, so that a Lambda bundles only what its handler imports (the plans
 * function carries no Stripe SDK). Nothing outside src/composition builds a singleton.
 */
export class Container {
  private readonly built = new Map<string, unknown>();

  /** Builds `key` once per container. */
  shared<T>(key: string, build: () => T): T {
    if (!this.built.has(key)) this.built.set(key, build());
    return this.built.get(key) as T;
  }

  /** Like `shared`, but a failed build (Secrets Manager throttled) is tried again on the next call. */
  sharedRetried<T>(key: string, build: () => Promise<T>): Promise<T> {
    return this.shared(key, build).catch((error: unknown) => {
      this.built.delete(key);
      throw error;
    });
  }

  /** The billing table and its clients. */
  table(): TableRef {
    return this.shared('table', () => {
      const table = createTableRef(storeConfig());
      for (const observe of tableObservers) observe(table);
      return table;
    });
  }

  /** The SQS client, for the queues this function declared. */
  sqs(): SQSClient {
    return this.shared('sqs', () => {
      const cfg = queueConfig();
      return new SQSClient({ region: cfg.AWS_REGION, ...(cfg.SQS_ENDPOINT ? { endpoint: cfg.SQS_ENDPOINT } : {}) });
    });
  }

  /** The URL of a queue this function declared it sends to; a clear error when it did not. */
  queueUrl(ref: QueueRef): string {
    const variable = queueUrlVariable(ref);
    const url = queueConfig()[variable];
    if (!url) throw new Error(`invalid configuration: ${variable} is not set for this function (declare the queue in its needs, contracts/)`);
    return url;
  }

  queue(ref: QueueRef): SqsQueue {
    return this.shared(`queue:${ref}`, () => new SqsQueue(this.sqs(), this.queueUrl(ref)));
  }

  /** Every repository, over this container's table. */
  repositories() {
    return this.shared('repositories', () => {
      const t = this.table();
      const subscriptions = new SubscriptionRepository(t);
      const invoices = new InvoiceRepository(t);
      const periods = new PeriodRepository(t);
      return {
        tenants: new TenantRepository(t),
        subscriptions,
        invoices,
        periods,
        usage: new UsageRepository(t),
        overages: new OverageRepository(t),
        timelines: new TimelineRepository(t),
        events: new BillingEventsRepository(t),
        stats: new StatsRepository(t),
        entitlements: new EntitlementRepository(t),
        mirror: new SubscriptionMirror({ subscriptions, invoices, periods }),
      };
    });
  }

  invoices(): InvoiceRepository {
    return this.repositories().invoices;
  }

  billingEvents(): BillingEventsRepository {
    return this.repositories().events;
  }

  /** The audit trail plus the tenant-webhook queue; only functions that declare `publishes` get one. */
  publisher(): EventPublisher {
    return this.shared('publisher', () => new EventPublisher(this.repositories().events, this.queue('webhooks')));
  }

  adminOverview(): ReturnType<typeof adminOverview> {
    return adminOverview(this.repositories().stats, liveClock);
  }
}

/** This function's container: one per Lambda container (locally, one per function). */
export const root: () => Container = perEnvironment(() => new Container());
