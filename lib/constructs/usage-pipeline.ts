import { Duration, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Queue, QueueEncryption, RedrivePermission } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { QueueDefinition } from '../../contracts/queues';
import { BillingFunction } from './billing-function';

export interface QueueConsumerProps {
  readonly definition: QueueDefinition;
  /** Encrypts the consumer's log group. */
  readonly logKey: IKey;
  readonly environment?: Readonly<Record<string, string>>;
  /** Most consumer invocations at once (the event source mapping's maximum concurrency). */
  readonly maxConcurrency?: number;
}

/**
 * A queue, its dead-letter queue and the Lambda that consumes it, all from one
 * `QueueDefinition` (`contracts/queues.ts`), which the local SQS endpoint reads too. Alarms: any
 * message in the DLQ, and any consumer error.
 */
export class QueueConsumer extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly consumer: BillingFunction;
  readonly alarms: readonly Alarm[];

  constructor(scope: Construct, id: string, props: QueueConsumerProps) {
    super(scope, id);
    const def = props.definition;
    this.deadLetterQueue = new Queue(this, 'DeadLetters', {
      retentionPeriod: Duration.seconds(def.deadLetterRetentionSeconds),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Marks it as a dead-letter queue (Control Tower's CT.SQS.PR.1). Naming its source queue
      // (byQueue) is not possible: the source queue's redrive policy already names this one.
      redriveAllowPolicy: { redrivePermission: RedrivePermission.ALLOW_ALL },
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SQS3',
      reason: 'This is the dead-letter queue itself; its messages are inspected and redriven by an operator, not consumed.',
    });
    this.queue = new Queue(this, 'Queue', {
      visibilityTimeout: Duration.seconds(def.visibilityTimeoutSeconds),
      retentionPeriod: Duration.seconds(def.retentionSeconds),
      maxMessageSizeBytes: def.maximumMessageSizeBytes,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: def.maxReceiveCount },
    });
    this.consumer = new BillingFunction(this, 'Consumer', {
      entry: def.consumer.entry,
      description: def.consumer.description,
      logKey: props.logKey,
      // Lambda must finish well inside the visibility timeout, or SQS redelivers mid-run.
      timeoutSeconds: Math.floor(def.visibilityTimeoutSeconds / 6),
      ...(props.environment ? { environment: props.environment } : {}),
    });
    this.consumer.handler.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: def.consumer.batchSize,
        maxBatchingWindow: Duration.seconds(def.consumer.maximumBatchingWindowSeconds),
        reportBatchItemFailures: def.consumer.reportBatchItemFailures,
        ...(props.maxConcurrency ? { maxConcurrency: Math.max(2, props.maxConcurrency) } : {}),
      }),
    );
    const dlqDepth = new Alarm(this, 'DeadLettersAlarm', {
      alarmDescription: `${def.name}: messages in the dead-letter queue (poison or repeatedly failing)`,
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.alarms = [dlqDepth, this.consumer.errorsAlarm];
  }
}
