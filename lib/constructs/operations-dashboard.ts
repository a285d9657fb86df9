import { Duration } from 'aws-cdk-lib';
import { Dashboard, GraphWidget, MathExpression, Metric, TextWidget, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface OperationsDashboardProps {
  readonly apiId: string;
  readonly functions: readonly IFunction[];
  readonly deadLetterQueues: readonly IQueue[];
}

const business = (metricName: string, label: string, statistic = 'Sum'): IMetric =>
  new Metric({ namespace: 'SecureNetBilling', metricName, statistic, period: Duration.minutes(5), label });

/**
 * One CloudWatch dashboard for operators: API traffic and errors, Lambda errors, dead-letter
 * queues, and the business metrics the handlers emit in embedded metric format.
 */
export class OperationsDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: OperationsDashboardProps) {
    super(scope, id);
    const api = (metricName: string, label: string) =>
      new Metric({ namespace: 'AWS/ApiGateway', metricName, dimensionsMap: { ApiId: props.apiId }, statistic: 'Sum', period: Duration.minutes(5), label });
    this.dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(24) });
    this.dashboard.addWidgets(
      new TextWidget({ markdown: '# SecureNet Billing\nAPI, functions, queues and money. Alarms: DLQ depth, function errors.', width: 24, height: 2 }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({ title: 'API requests and errors', left: [api('Count', 'requests'), api('4xx', '4xx'), api('5xx', '5xx')], width: 12 }),
      new GraphWidget({
        title: 'Function errors',
        left: props.functions.map((fn) => fn.metricErrors({ period: Duration.minutes(5) })),
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Messages in dead-letter queues',
        left: props.deadLetterQueues.map((q) => q.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) })),
        width: 12,
      }),
      new GraphWidget({
        title: 'Usage records ingested',
        left: [business('UsageRecordsIngested', 'records')],
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Overage billed (minor units, by currency)',
        left: ['usd', 'eur', 'gbp'].map(
          (currency) =>
            new Metric({ namespace: 'SecureNetBilling', metricName: 'OverageAmountBilled', dimensionsMap: { currency, service: 'securenet-billing' }, statistic: 'Sum', period: Duration.hours(1), label: currency }),
        ),
        width: 12,
      }),
      new GraphWidget({
        title: 'Stripe errors, 429s and webhook delivery failures',
        left: [
          business('StripeErrors', 'Stripe errors'),
          business('StripeRateLimited', 'Stripe 429s'),
          business('WebhookDeliveryFailures', 'webhook failures'),
          new MathExpression({ expression: 'FILL(m1, 0)', usingMetrics: { m1: business('OverageLinesBilled', 'lines') }, label: 'overage lines billed', period: Duration.minutes(5) }),
        ],
        width: 12,
      }),
    );
  }
}
