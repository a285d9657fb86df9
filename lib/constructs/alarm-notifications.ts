import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface AlarmNotificationsProps {
  /** Encrypts the topic; CloudWatch alarms must be allowed to use it (`OperationsKey`). */
  readonly key: IKey;
  /** Subscribed by e-mail when given (context `alarmEmail`); AWS asks it to confirm first. */
  readonly email?: string;
}

/**
 * Where alarms go: one encrypted SNS topic that every alarm of the stack notifies when it
 * fires and when it clears. An operator subscribes by e-mail through the context, or attaches
 * a pager or chat integration to the topic (its ARN is a stack output).
 */
export class AlarmNotifications extends Construct {
  readonly topic: Topic;

  constructor(scope: Construct, id: string, props: AlarmNotificationsProps) {
    super(scope, id);
    this.topic = new Topic(this, 'Topic', { displayName: 'SecureNet Billing alarms', masterKey: props.key, enforceSSL: true });
    if (props.email !== undefined) this.topic.addSubscription(new EmailSubscription(props.email));
  }

  /** Sends each alarm's changes into ALARM and back to OK to the topic. */
  notifyOn(alarms: readonly Alarm[]): void {
    const action = new SnsAction(this.topic);
    for (const alarm of alarms) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
  }
}
