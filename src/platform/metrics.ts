import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/**
 * Business metrics in CloudWatch embedded metric format (namespace `SecureNetBilling`): the
 * middleware of every handler flushes them once per invocation. The stack's dashboard and
 * alarms read them.
 */
export const metrics = new Metrics({ namespace: 'SecureNetBilling', serviceName: 'securenet-billing' });

export const METRIC = {
  usageRecordsIngested: 'UsageRecordsIngested',
  overageAmountBilled: 'OverageAmountBilled',
  overageLinesBilled: 'OverageLinesBilled',
  /** Overage lines Stripe refused for good (alarmed): recorded with the reason, never retried forever. */
  overageLinesFailed: 'OverageLinesFailed',
  stripeErrors: 'StripeErrors',
  stripeRateLimited: 'StripeRateLimited',
  webhookDeliveryFailures: 'WebhookDeliveryFailures',
} as const;

/** Counts one event of `name`. */
export const count = (name: string, value = 1): void => {
  metrics.addMetric(name, MetricUnit.Count, value);
};

/** Adds an amount of money (minor units) under a currency dimension. */
export const addAmount = (name: string, currency: string, amount: number): void => {
  const single = metrics.singleMetric();
  single.addDimension('currency', currency);
  single.addMetric(name, MetricUnit.Count, amount);
};

/**
 * Flushes the invocation's metrics, when it recorded any (Powertools' own middleware would log a
 * warning on every invocation that recorded none: one log line per request).
 */
export const publishMetrics = () => {
  const flush = () => {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  };
  return { after: flush, onError: flush };
};
