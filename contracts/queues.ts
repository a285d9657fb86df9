/**
 * The SQS queues and their consumers, as plain data: the CDK stack declares them from here and
 * the local SQS endpoint and its event-source poller use the very same settings.
 */
import type { FunctionNeeds } from './environment';

export interface QueueDefinition {
  /** Logical name; the local endpoint uses it as the queue name. */
  readonly name: string;
  readonly visibilityTimeoutSeconds: number;
  readonly retentionSeconds: number;
  /** SQS allows up to 1 MiB; the stack sets it explicitly rather than rely on a default. */
  readonly maximumMessageSizeBytes: number;
  /** Receives before a message moves to the queue's dead-letter queue. */
  readonly maxReceiveCount: number;
  readonly deadLetterRetentionSeconds: number;
  /** The Lambda event source mapping that consumes it. */
  readonly consumer: {
    readonly entry: string;
    readonly description: string;
    readonly batchSize: number;
    readonly maximumBatchingWindowSeconds: number;
    readonly reportBatchItemFailures: true;
    /** What the consumer may touch; the stack grants from this, as for API function groups. */
    readonly needs: FunctionNeeds;
  };
}

export const queues = {
  usage: {
    name: 'usage',
    visibilityTimeoutSeconds: 120,
    retentionSeconds: 4 * 24 * 3600,
    maximumMessageSizeBytes: 1_048_576,
    maxReceiveCount: 5,
    deadLetterRetentionSeconds: 14 * 24 * 3600,
    consumer: {
      entry: 'functions/usage-aggregator/handler.ts',
      description: 'Aggregates usage records from SQS into DynamoDB, each exactly once',
      batchSize: 10,
      maximumBatchingWindowSeconds: 1,
      reportBatchItemFailures: true,
      // Usage alerts are billing events tenants can subscribe to.
      needs: { table: 'readwrite', publishes: true },
    },
  },
  overage: {
    name: 'overage',
    visibilityTimeoutSeconds: 360,
    retentionSeconds: 4 * 24 * 3600,
    maximumMessageSizeBytes: 262_144,
    maxReceiveCount: 5,
    deadLetterRetentionSeconds: 14 * 24 * 3600,
    consumer: {
      entry: 'functions/overage-worker/handler.ts',
      description: 'Bills closed usage periods into Stripe invoice items, each exactly once',
      /** The worker bills the tenants of a batch at once, under the container's Stripe budget. */
      batchSize: 10,
      maximumBatchingWindowSeconds: 0,
      reportBatchItemFailures: true,
      needs: { table: 'readwrite', stripe: true, stripeBudget: true, publishes: true },
    },
  },
  /**
   * Tenant webhooks: events from the EventPublisher, fanned out into one message per endpoint,
   * each retried with backoff (ChangeMessageVisibility: 1 min doubling to 3 h, see
   * src/domain/webhooks/backoff.ts): 16 receives put the last attempt about 25 hours after
   * the first, then the DLQ. Retention covers that with room to spare.
   */
  webhooks: {
    name: 'webhooks',
    visibilityTimeoutSeconds: 120,
    retentionSeconds: 4 * 24 * 3600,
    maximumMessageSizeBytes: 262_144,
    maxReceiveCount: 16,
    deadLetterRetentionSeconds: 14 * 24 * 3600,
    consumer: {
      entry: 'functions/webhook-dispatcher/handler.ts',
      description: 'Delivers tenant webhooks: fan-out per endpoint, signed POSTs, backoff, then the DLQ',
      batchSize: 10,
      maximumBatchingWindowSeconds: 0,
      reportBatchItemFailures: true,
      // It fans an event out onto its own queue, one message per endpoint.
      needs: { table: 'readwrite', webhookSecrets: true, sends: ['webhooks'] },
    },
  },
} as const satisfies Record<string, QueueDefinition>;

export type QueueName = keyof typeof queues;

/** Scheduled functions: the CDK stack builds an EventBridge rule each; locally the simulated clock fires them. */
export const schedules = {
  overagePlanner: {
    entry: 'functions/overage-planner/handler.ts',
    description: 'Hourly: enqueues every closed, unbilled usage period for the overage workers; announces access that changed with time (a dunning grace period ending)',
    /** EventBridge schedule expression; CDK context `overageSchedule` overrides it. */
    expression: 'rate(1 hour)',
    /** It reads the index of due periods and enqueues them, and announces entitlements (`entitlements.updated`): no Stripe keys. */
    needs: { table: 'readwrite', sends: ['overage'], publishes: true },
  },
} as const satisfies Record<string, { entry: string; description: string; expression: string; needs: FunctionNeeds }>;
