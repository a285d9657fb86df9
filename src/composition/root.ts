import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { SQSClient } from '@aws-sdk/client-sqs';
import { queueUrlVariable, type QueueRef } from '../../contracts/environment';
import { BillingEventsRepository } from '../adapters/dynamodb/billing-events';
import { createTableRef, type TableRef } from '../adapters/dynamodb/client';
import { InvoiceRepository } from '../adapters/dynamodb/invoices';
import { OverageRepository } from '../adapters/dynamodb/overages';
import { PeriodRepository } from '../adapters/dynamodb/periods';
import { ProcessedEvents } from '../adapters/dynamodb/processed-events';
import { StatsRepository } from '../adapters/dynamodb/stats';
import { SubscriptionRepository } from '../adapters/dynamodb/subscriptions';
import { TenantRepository } from '../adapters/dynamodb/tenants';
import { TimelineRepository } from '../adapters/dynamodb/timelines';
import { UsageRepository } from '../adapters/dynamodb/usage';
import { WebhookRepository } from '../adapters/dynamodb/webhooks';
import { SqsRetryControl } from '../adapters/sqs/retry-queue';
import { SqsQueue } from '../adapters/sqs/sqs-queue';
import { sendWebhook } from '../adapters/webhooks/http-sender';
import { systemResolver, vetTarget, type Resolver } from '../adapters/webhooks/target-guard';
import { SubscriptionMirror } from '../app/billing/mirror';
import { adminOverview } from '../app/billing/overview';
import { StripeEventProcessor } from '../app/billing/stripe-events';
import { CancelSubscription } from '../app/billing/subscriptions/cancel';
import { ChangeSubscription } from '../app/billing/subscriptions/change';
import { CreateSubscription } from '../app/billing/subscriptions/create';
import { CurrentSubscription } from '../app/billing/subscriptions/current';
import { PreviewChange } from '../app/billing/subscriptions/preview';
import { EventPublisher } from '../app/events/publisher';
import { OverageBiller } from '../app/overage/biller';
import { OverageRun, planDuePeriods } from '../app/overage/run';
import type { PaymentProvider } from '../app/ports/payments';
import type { VettedTarget } from '../app/ports/webhook-delivery';
import { UsageAggregator } from '../app/usage/aggregator';
import { tenantBasis } from '../app/usage/basis';
import { UsageIngest } from '../app/usage/ingest';
import { UsageReports } from '../app/usage/reports';
import { WebhookDispatcher } from '../app/webhooks/dispatcher';
import { MAX_ENDPOINTS_PER_TENANT, WebhookEndpoints } from '../app/webhooks/endpoints';
import { SecretBox } from '../app/webhooks/secret-box';
import { DEFAULT_RETRY_POLICY } from '../domain/webhooks/backoff';
import { liveClock } from '../platform/clock';
import { queueConfig, storeConfig } from '../platform/config';
import { perEnvironment } from '../platform/environment';
import { count, METRIC } from '../platform/metrics';
import { webhookDeliveryConfig, webhookKeyConfig } from '../platform/webhooks-config';
import { stripeProvider } from './payments';

let resolver: Resolver = systemResolver;
const tableObservers: ((table: TableRef) => void)[] = [];

/** Benchmarks only: sees every table a container opens (to meter what the handlers consume). */
export const observeTables = (observer: (table: TableRef) => void): void => {
  tableObservers.push(observer);
};

/** Tests only: answer DNS from a table (e.g. a name that turns private after configuration). */
export const useWebhookResolver = (next: Resolver): void => {
  resolver = next;
};

/**
 * The composition root: the one place that builds clients, adapters and use cases. A container
 * builds each thing on first use and keeps it (clients live as long as the Lambda container);
 * it reads configuration only for what is asked of it, so a function is asked only for the
 * variables its declared needs give it (contracts/environment.ts). Handlers take what they need
 * from `root()` and nothing else builds a singleton.
 */
export class Container {
  private readonly built = new Map<string, unknown>();

  private once<T>(key: string, build: () => T): T {
    if (!this.built.has(key)) this.built.set(key, build());
    return this.built.get(key) as T;
  }

  /** The billing table and its clients. */
  table(): TableRef {
    return this.once('table', () => {
      const table = createTableRef(storeConfig());
      for (const observe of tableObservers) observe(table);
      return table;
    });
  }

  private sqs(): SQSClient {
    return this.once('sqs', () => {
      const cfg = queueConfig();
      return new SQSClient({ region: cfg.AWS_REGION, ...(cfg.SQS_ENDPOINT ? { endpoint: cfg.SQS_ENDPOINT } : {}) });
    });
  }

  /** The URL of a queue this function declared it sends to; a clear error when it did not. */
  private queueUrl(ref: QueueRef): string {
    const variable = queueUrlVariable(ref);
    const url = queueConfig()[variable];
    if (!url) throw new Error(`invalid configuration: ${variable} is not set for this function (declare the queue in its needs, contracts/)`);
    return url;
  }

  queue(ref: QueueRef): SqsQueue {
    return this.once(`queue:${ref}`, () => new SqsQueue(this.sqs(), this.queueUrl(ref)));
  }

  /** Stripe, with keys from the environment (local) or Secrets Manager (AWS). */
  paymentProvider(): Promise<PaymentProvider> {
    return this.retriedOnFailure('payments', () => stripeProvider());
  }

  /** Like `once`, but a failed build (Secrets Manager throttled) is tried again on the next call. */
  private retriedOnFailure<T>(key: string, build: () => Promise<T>): Promise<T> {
    return this.once(key, build).catch((error: unknown) => {
      this.built.delete(key);
      throw error;
    });
  }

  private repositories() {
    return this.once('repositories', () => {
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
    return this.once('publisher', () => new EventPublisher(this.repositories().events, this.queue('webhooks')));
  }

  /** The subscription use cases, one each; only those that change usage wait for the biller. */
  createSubscription(): Promise<CreateSubscription> {
    return this.retriedOnFailure('createSubscription', async () => {
      const provider = await this.paymentProvider();
      const { tenants, subscriptions, mirror } = this.repositories();
      return new CreateSubscription({ provider, tenants, subscriptions, mirror, publisher: this.publisher(), clock: liveClock });
    });
  }

  changeSubscription(): Promise<ChangeSubscription> {
    return this.retriedOnFailure('changeSubscription', async () => {
      const [provider, changes] = await Promise.all([this.paymentProvider(), this.overageBiller()]);
      const { tenants, subscriptions, mirror } = this.repositories();
      return new ChangeSubscription({ provider, tenants, subscriptions, mirror, changes, publisher: this.publisher(), clock: liveClock });
    });
  }

  previewChange(): Promise<PreviewChange> {
    return this.retriedOnFailure('previewChange', async () => {
      const provider = await this.paymentProvider();
      const { tenants, subscriptions } = this.repositories();
      return new PreviewChange({ provider, tenants, subscriptions, clock: liveClock });
    });
  }

  cancelSubscription(): Promise<CancelSubscription> {
    return this.retriedOnFailure('cancelSubscription', async () => {
      const [provider, changes] = await Promise.all([this.paymentProvider(), this.overageBiller()]);
      const { tenants, subscriptions, mirror } = this.repositories();
      return new CancelSubscription({ provider, tenants, subscriptions, mirror, changes, publisher: this.publisher(), clock: liveClock });
    });
  }

  /** Reads the mirror only: no Stripe keys. */
  currentSubscription(): CurrentSubscription {
    return this.once('currentSubscription', () => {
      const { tenants, subscriptions } = this.repositories();
      return new CurrentSubscription({ tenants, subscriptions });
    });
  }

  stripeEventProcessor(): Promise<StripeEventProcessor> {
    return this.retriedOnFailure('stripeEventProcessor', async () => {
      const provider = await this.paymentProvider();
      const { tenants, invoices, mirror } = this.repositories();
      return new StripeEventProcessor({
        provider,
        tenants,
        invoices,
        mirror,
        publisher: this.publisher(),
        processed: new ProcessedEvents(this.table()),
      });
    });
  }

  /** The biller needs Stripe (the worker, the admin route, changes that take effect now). */
  overageBiller(): Promise<OverageBiller> {
    return this.retriedOnFailure('overageBiller', async () => {
      const provider = await this.paymentProvider();
      const { overages, usage, tenants, subscriptions, invoices, timelines, periods } = this.repositories();
      return new OverageBiller({ overages, usage, tenants, subscriptions, invoices, timelines, periods, publisher: this.publisher(), provider, clock: liveClock });
    });
  }

  overageRun(): Promise<OverageRun> {
    return this.retriedOnFailure('overageRun', async () => new OverageRun(await this.overageBiller(), this.repositories().overages, liveClock));
  }

  /** The planner only reads the index and enqueues: no Stripe keys. */
  planOverages(): Promise<number> {
    return planDuePeriods({ overages: this.repositories().overages, clock: liveClock }, this.queue('overage'));
  }

  adminOverview(): ReturnType<typeof adminOverview> {
    return adminOverview(this.repositories().stats, liveClock);
  }

  private basisOf(): ReturnType<typeof tenantBasis> {
    return this.once('basisOf', () => tenantBasis(this.repositories()));
  }

  usageIngest(): UsageIngest {
    return this.once('usageIngest', () => new UsageIngest(this.queue('usage'), liveClock));
  }

  usageAggregator(): UsageAggregator {
    return this.once(
      'usageAggregator',
      () => new UsageAggregator({ usage: this.repositories().usage, publisher: this.publisher(), basisOf: this.basisOf(), clock: liveClock }),
    );
  }

  usageReports(): UsageReports {
    return this.once('usageReports', () => new UsageReports(this.repositories().usage, this.basisOf(), liveClock));
  }

  /** The SSRF guard with this container's policy; the resolver is looked up per call. */
  private vetWebhookTarget = (url: string): Promise<VettedTarget> =>
    vetTarget(url, { allowLoopback: webhookDeliveryConfig().WEBHOOK_ALLOW_LOCAL_TARGETS }, (host) => resolver(host));

  /** The key that seals signing secrets: from the environment locally, from Secrets Manager in AWS. */
  private secretBox = (): Promise<SecretBox> =>
    this.retriedOnFailure('secretBox', async () => {
      const cfg = webhookKeyConfig();
      if (cfg.WEBHOOK_SECRETS_KEY) return SecretBox.fromKeyMaterial(cfg.WEBHOOK_SECRETS_KEY);
      const material = await getSecret(cfg.WEBHOOK_SECRETS_KEY_ARN ?? '', { maxAge: 3600 });
      if (typeof material !== 'string') throw new Error('invalid configuration: the webhook secrets key secret holds no string');
      return SecretBox.fromKeyMaterial(material);
    });

  private webhookRepository(): WebhookRepository {
    return this.once('webhookRepository', () => new WebhookRepository(this.table(), { endpointLimit: MAX_ENDPOINTS_PER_TENANT }));
  }

  /** The tenant-facing webhook use cases. */
  webhookEndpoints(): WebhookEndpoints {
    return this.once(
      'webhookEndpoints',
      () => new WebhookEndpoints({ repository: this.webhookRepository(), secretBox: this.secretBox, vet: this.vetWebhookTarget, clock: liveClock }),
    );
  }

  /** The webhook queue's consumer. */
  webhookDispatcher(): WebhookDispatcher {
    return this.once('webhookDispatcher', () => {
      const delivery = webhookDeliveryConfig();
      return new WebhookDispatcher({
        repository: this.webhookRepository(),
        queue: this.queue('webhooks'),
        retries: new SqsRetryControl(this.sqs(), this.queueUrl('webhooks')),
        secretBox: this.secretBox,
        vet: this.vetWebhookTarget,
        send: sendWebhook,
        policy: { ...DEFAULT_RETRY_POLICY, baseSeconds: delivery.WEBHOOK_RETRY_BASE_SECONDS, maxSeconds: delivery.WEBHOOK_RETRY_MAX_SECONDS },
        timeoutMs: delivery.WEBHOOK_TIMEOUT_MS,
        clock: liveClock,
        onAttempt: (attempt) => {
          if (attempt.status !== 'succeeded') count(METRIC.webhookDeliveryFailures);
        },
      });
    });
  }
}

/** This function's container: one per Lambda container (locally, one per function). */
export const root: () => Container = perEnvironment(() => new Container());
