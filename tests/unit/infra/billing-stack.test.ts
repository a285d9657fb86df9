import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CfnParameter, CfnResource, Duration } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { Alarm, Metric } from 'aws-cdk-lib/aws-cloudwatch';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { variablesFor } from '../../../contracts/environment';
import { queues, schedules } from '../../../contracts/queues';
import { routeKey, routeTable } from '../../../contracts/routes';
import { tableDefinition } from '../../../contracts/table';
import { DEFAULT_RETRY_POLICY, retryScheduleSeconds } from '../../../src/domain/webhooks/backoff';
import {
  billingApp,
  dynamoActionsOf,
  everyKindTable,
  expectCleanSynthesis,
  lambdaOf,
  lambdas,
  routeByKey,
  statementsOf,
  type Synthesized,
  synth,
  validationReport,
} from './synth';

/** The logical id of the one resource of `type` whose id matches `pattern`. */
const resourceIdMatching = (template: Template, type: string, pattern: RegExp): string => {
  const ids = Object.keys(template.findResources(type)).filter((id) => pattern.test(id));
  if (ids.length !== 1 || ids[0] === undefined) throw new Error(`expected one ${type} matching ${pattern}, found ${ids.length}`);
  return ids[0];
};

/** Whether the Lambda described so may send messages to the queue with this logical id. */
const sendsTo = (template: Template, description: string, queueId: string): boolean =>
  statementsOf(template, description).some((s) => s.Action.includes('sqs:SendMessage') && JSON.stringify(s.Resource).includes(`"${queueId}"`));

/** The functions contracts/ declares (route groups, queue consumers, schedules)... */
const declaredFunctionCount = Object.keys(routeTable.functionGroups).length + Object.keys(queues).length + Object.keys(schedules).length;
/** ...and the token authorizer of the routes that take machine tokens (token-authorizer.test.ts). */
const functionCount = declaredFunctionCount + 1;

// Synthesis takes about a second: each describe synthesizes once and its tests share the result.

describe('BillingStack', () => {
  describe('built from the route table with default context', () => {
    let synthesized: Synthesized;
    let template: Template;
    beforeAll(() => {
      synthesized = synth();
      template = synthesized.template;
    });

    it('keeps billing data in one on-demand table with point-in-time recovery, TTL and AWS-managed encryption', () => {
      template.resourceCountIs('AWS::DynamoDB::Table', 1);
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: tableDefinition.ttlAttribute, Enabled: true },
        SSESpecification: { SSEEnabled: true },
        KeySchema: [
          { AttributeName: tableDefinition.partitionKey, KeyType: 'HASH' },
          { AttributeName: tableDefinition.sortKey, KeyType: 'RANGE' },
        ],
      });
    });

    it('creates every GSI of tableDefinition with its string keys, projecting all attributes', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        GlobalSecondaryIndexes: tableDefinition.indexes.map((index) => ({
          IndexName: index.name,
          KeySchema: [
            { AttributeName: index.partitionKey, KeyType: 'HASH' },
            { AttributeName: index.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        })),
        AttributeDefinitions: Match.arrayWith(
          tableDefinition.indexes.flatMap((index) => [
            { AttributeName: index.partitionKey, AttributeType: 'S' },
            { AttributeName: index.sortKey, AttributeType: 'S' },
          ]),
        ),
      });
    });

    it('retains the table when the stack is deleted or the table replaced', () => {
      template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    });

    it('creates one nodejs22.x arm64 Lambda per function group and per queue consumer, and the token authorizer, traced by X-Ray', () => {
      // Ours, plus CDK's copy function of the web site deployment.
      expect(lambdas(template)).toHaveLength(functionCount);
      template.resourceCountIs('AWS::Lambda::Function', functionCount + 1);
      for (const group of [...Object.values(routeTable.functionGroups), ...Object.values(queues).map((q) => q.consumer)]) {
        const { props } = lambdaOf(template, group.description);
        expect(props.Runtime).toBe('nodejs22.x');
        expect(props.Architectures).toEqual(['arm64']);
      }
      const traced = template.findResources('AWS::Lambda::Function', { Properties: { TracingConfig: { Mode: 'Active' } } });
      expect(Object.keys(traced).sort()).toEqual(lambdas(template).map((fn) => fn.id).sort());
    });

    it('tells every function how to read the tenant and admin claims of Cognito tokens', () => {
      for (const group of Object.values(routeTable.functionGroups)) {
        expect(lambdaOf(template, group.description).props.Environment.Variables).toMatchObject({
          TENANT_CLAIM: 'custom:tenant_id',
          GROUPS_CLAIM: 'cognito:groups',
          ADMIN_GROUP: 'billing-admin',
          NODE_OPTIONS: '--enable-source-maps',
          POWERTOOLS_SERVICE_NAME: 'securenet-billing',
        });
      }
    });

    it('creates one route per route table entry: the token authorizer on tenant routes with scopes, the JWT one on other tenant and admin routes, none on the rest', () => {
      template.resourceCountIs('AWS::ApiGatewayV2::Route', routeTable.routes.length);
      for (const route of routeTable.routes) {
        const needsToken = route.auth === 'tenant' || route.auth === 'admin';
        const takesMachines = route.auth === 'tenant' && (route.scopes ?? []).length > 0;
        expect(routeByKey(template, routeKey(route)).AuthorizationType, routeKey(route)).toBe(takesMachines ? 'CUSTOM' : needsToken ? 'JWT' : 'NONE');
      }
    });

    it("sends each route to its function group's Lambda", () => {
      const integrations = template.findResources('AWS::ApiGatewayV2::Integration');
      for (const route of routeTable.routes) {
        const group = routeTable.functionGroups[route.group];
        if (!group) throw new Error(`route ${routeKey(route)} names unknown group ${route.group}`);
        const fnId = lambdaOf(template, group.description).id;
        const target = JSON.stringify(routeByKey(template, routeKey(route)).Target);
        const integrationId = Object.keys(integrations).find((id) => target.includes(`"${id}"`));
        expect(integrationId, routeKey(route)).toBeDefined();
        expect(JSON.stringify(integrations[integrationId ?? ''])).toContain(`"${fnId}"`);
      }
    });

    it('gives functions without table access no DynamoDB permission and no TABLE_NAME', () => {
      const tableless = Object.values(routeTable.functionGroups).filter((g) => g.table === 'none');
      for (const group of tableless) {
        expect(dynamoActionsOf(template, group.description), group.description).toEqual([]);
        expect(lambdaOf(template, group.description).props.Environment.Variables).not.toHaveProperty('TABLE_NAME');
      }
    });

    it('uses no AWS managed policy for function roles', () => {
      template.allResourcesProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
    });

    it('throttles the default stage at 100 requests per second with bursts of 200', () => {
      template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        StageName: '$default',
        AutoDeploy: true,
        DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
      });
    });

    it('writes access logs of the stage, with the request id, to a log group', () => {
      template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        AccessLogSettings: {
          DestinationArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('AccessLogs'), 'Arn'] },
          Format: Match.stringLikeRegexp('\\$context\\.requestId'),
        },
      });
    });

    it("answers CORS preflights for the web page's own origin only when no other origins are configured", () => {
      const distributionId = resourceIdMatching(template, 'AWS::CloudFront::Distribution', /^WebDistribution[0-9A-F]{8}$/);
      template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
        CorsConfiguration: Match.objectLike({
          AllowOrigins: [{ 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distributionId, 'DomainName'] }]] }],
        }),
      });
    });

    it('alarms on the errors of every function and exposes the alarms', () => {
      const groups = functionCount;
      // One errors alarm per function, one DLQ-depth alarm per queue, and one on refused overage lines.
      expect(synthesized.stack.alarms).toHaveLength(groups + Object.keys(queues).length + 1);
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'SecureNetBilling',
        MetricName: 'OverageLinesFailed',
        Dimensions: [{ Name: 'service', Value: 'securenet-billing' }],
        Threshold: 1,
      });
      expect(Object.keys(template.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: 'Errors', Namespace: 'AWS/Lambda' } }))).toHaveLength(groups);
    });

    it('notifies the alarm topic from every alarm, the refused-overage one included, when it fires and when it clears', () => {
      const topicId = resourceIdMatching(template, 'AWS::SNS::Topic', /^AlarmsTopic[0-9A-F]{8}$/);
      const alarms = Object.entries(template.findResources('AWS::CloudWatch::Alarm'));
      expect(alarms).toHaveLength(synthesized.stack.alarms.length);
      expect(alarms.map(([id]) => id)).toContainEqual(expect.stringMatching(/^OverageRefusedAlarm/));
      for (const [id, alarm] of alarms) {
        expect(alarm, id).toMatchObject({ Properties: { AlarmActions: [{ Ref: topicId }], OKActions: [{ Ref: topicId }] } });
        expect(alarm, id).not.toMatchObject({ Properties: { ActionsEnabled: false } });
      }
      template.hasOutput('AlarmTopicArn', { Value: { Ref: topicId } });
    });

    it('encrypts the alarm topic with the operations key, refuses plain HTTP to it, and subscribes no one unless told', () => {
      const keyId = resourceIdMatching(template, 'AWS::KMS::Key', /^OperationsKey/);
      template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
      });
      template.resourceCountIs('AWS::SNS::Subscription', 0);
    });

    it('encrypts every log group with the one operations key, which CloudWatch Logs may use only for this account and region', () => {
      template.resourceCountIs('AWS::KMS::Key', 1);
      const keyId = resourceIdMatching(template, 'AWS::KMS::Key', /^OperationsKey/);
      const logGroups = Object.entries(template.findResources('AWS::Logs::LogGroup'));
      // Each function's, the API's access logs and the web deployment's.
      expect(logGroups).toHaveLength(functionCount + 2);
      for (const [id, group] of logGroups) expect(group, id).toMatchObject({ Properties: { KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } } });
      template.hasResourceProperties('AWS::KMS::Key', {
        EnableKeyRotation: true,
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Sid: 'CloudWatchLogsEncryptsThisAccountsLogGroups',
              Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': Match.anyValue() } },
            }),
            Match.objectLike({ Sid: 'CloudWatchAlarmsPublishToTheEncryptedTopic', Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] }),
            Match.objectLike({ Effect: 'Deny', Action: 'kms:CreateGrant' }),
          ]),
        },
      });
    });

    it('gives every queue a dead-letter queue and marks each dead-letter queue as one', () => {
      const all = Object.values(template.findResources('AWS::SQS::Queue')).map((q) => JSON.stringify(q));
      expect(all).toHaveLength(2 * Object.keys(queues).length);
      expect(all.filter((q) => q.includes('"deadLetterTargetArn"'))).toHaveLength(Object.keys(queues).length);
      expect(all.filter((q) => q.includes('"RedriveAllowPolicy":{"redrivePermission":"allowAll"}'))).toHaveLength(Object.keys(queues).length);
    });

    it('runs AWS Control Tower\'s proactive controls, which find nothing unacknowledged', () => {
      const tower = validationReport(synthesized).pluginReports.find((p) => p.pluginName === 'ControlTower');
      expect(tower?.conclusion).toBe('success');
      expect(tower?.violations).toEqual([]);
      expect(new Set(tower?.suppressedViolations.map((v) => v.ruleName))).toEqual(
        new Set([
          'api_gw_v2_authorization_type_configured_check',
          'cloudwatch_log_group_retention_period_check',
          'lambda_function_public_access_prohibited_check',
          'lambda_inside_vpc_check',
          'cloudfront_origin_failover_enabled_check',
          'cloudfront_custom_ssl_certificate_check',
          'cloudfront_sni_enabled_check',
          'cloudfront_security_policy_check',
          's3_bucket_logging_enabled_check',
          's3_event_notifications_enabled_check',
          's3_bucket_object_lock_enabled_check',
          's3_bucket_default_encryption_kms_check',
        ]),
      );
    });

    it('names its route in the SourceArn of every API invoke permission (what CT.LAMBDA.PR.2 cannot read)', () => {
      const apiId = resourceIdMatching(template, 'AWS::ApiGatewayV2::Api', /HttpApi/);
      const permissions = Object.values(template.findResources('AWS::Lambda::Permission', { Properties: { Principal: 'apigateway.amazonaws.com' } }));
      // One per route, and the token authorizer's, which names the API's authorizer instead.
      expect(permissions).toHaveLength(routeTable.routes.length + 1);
      const sourceArns = permissions.map((permission) => JSON.stringify((permission as { Properties: { SourceArn: unknown } }).Properties.SourceArn));
      for (const sourceArn of sourceArns) expect(sourceArn).toContain(`{"Ref":"${apiId}"}`);
      expect(sourceArns.filter((arn) => /\/\*\/\*\/api\/billing\//.test(arn))).toHaveLength(routeTable.routes.length);
      expect(sourceArns.filter((arn) => /\/authorizers\//.test(arn))).toHaveLength(1);
    });

    it('lets exactly the function groups that need Stripe read the Stripe secret, and tells them its ARN', () => {
      // The Stripe keys, and the generated key that encrypts tenant webhook signing secrets.
      template.resourceCountIs('AWS::SecretsManager::Secret', 2);
      const secretId = resourceIdMatching(template, 'AWS::SecretsManager::Secret', /^StripeSecret[0-9A-F]{8}$/);
      for (const group of Object.values(routeTable.functionGroups)) {
        const needs = 'stripe' in group && group.stripe === true;
        const reads = JSON.stringify(statementsOf(template, group.description)).includes(secretId);
        expect(reads, group.description).toBe(needs);
        const env = lambdaOf(template, group.description).props.Environment.Variables;
        if (needs) expect(env.STRIPE_SECRET_ARN).toEqual({ Ref: secretId });
        else expect(env).not.toHaveProperty('STRIPE_SECRET_ARN');
      }
    });

    it('gives every function exactly the variables its declared needs call for (contracts/environment.ts), no more, no less', () => {
      const declared = [
        ...Object.values(routeTable.functionGroups).map((g) => ({ description: g.description, needs: g })),
        ...Object.values(queues).map((q) => ({ description: q.consumer.description, needs: q.consumer.needs })),
        ...Object.values(schedules).map((s) => ({ description: s.description, needs: s.needs })),
      ];
      expect(declared).toHaveLength(declaredFunctionCount);
      for (const { description, needs } of declared) {
        const env = lambdaOf(template, description).props.Environment.Variables;
        expect(Object.keys(env).sort(), description).toEqual(variablesFor(needs).sort());
      }
    });

    it('outputs the API URL, the table name and the user pool and client ids', () => {
      for (const output of ['ApiUrl', 'TableName', 'UserPoolId', 'UserPoolClientId', 'StripeSecretArn']) {
        template.hasOutput(output, {});
      }
    });

    it('declares the usage queue from contracts/queues.ts: 1 MiB messages, its visibility and retention, and a DLQ after maxReceiveCount', () => {
      template.hasResourceProperties('AWS::SQS::Queue', {
        MaximumMessageSize: queues.usage.maximumMessageSizeBytes,
        VisibilityTimeout: queues.usage.visibilityTimeoutSeconds,
        MessageRetentionPeriod: queues.usage.retentionSeconds,
        SqsManagedSseEnabled: true,
        RedrivePolicy: { maxReceiveCount: queues.usage.maxReceiveCount, deadLetterTargetArn: Match.anyValue() },
      });
    });

    it('feeds the aggregation Lambda in batches, with a batching window and partial batch failures', () => {
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        BatchSize: queues.usage.consumer.batchSize,
        MaximumBatchingWindowInSeconds: queues.usage.consumer.maximumBatchingWindowSeconds,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
      expect(lambdaOf(template, queues.usage.consumer.description).props.Timeout).toBeLessThan(queues.usage.visibilityTimeoutSeconds);
    });

    it('alarms as soon as one message sits in the usage DLQ', () => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Namespace: 'AWS/SQS',
        Threshold: 1,
      });
    });

    it('starts the overage planner hourly from an EventBridge rule, and lets it feed the overage queue and announce entitlements (no scan)', () => {
      template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 hour)', State: 'ENABLED' });
      const actions = dynamoActionsOf(template, schedules.overagePlanner.description);
      expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 'dynamodb:PutItem']));
      expect(actions).not.toContain('dynamodb:Scan');
      const env = lambdaOf(template, schedules.overagePlanner.description).props.Environment.Variables;
      expect(env).toHaveProperty('OVERAGE_QUEUE_URL');
      expect(env).toHaveProperty('WEBHOOKS_QUEUE_URL');
    });

    it('bounds the overage workers\' concurrency (Stripe rate limit) and lets them read the Stripe secret', () => {
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        BatchSize: queues.overage.consumer.batchSize,
        ScalingConfig: { MaximumConcurrency: 5 },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
      const env = lambdaOf(template, queues.overage.consumer.description).props.Environment.Variables;
      expect(env).toHaveProperty('STRIPE_SECRET_ARN');
      // The account's 100 requests/s split over the 5 workers: together they stay under Stripe's limit.
      expect(env.STRIPE_MAX_REQUESTS_PER_SECOND).toBe('20');
    });

    it('paces only the overage workers to a Stripe budget', () => {
      const paced = Object.values(template.findResources('AWS::Lambda::Function')).filter((fn) => {
        const variables = (fn as { Properties?: { Environment?: { Variables?: Record<string, unknown> } } }).Properties?.Environment?.Variables ?? {};
        return 'STRIPE_MAX_REQUESTS_PER_SECOND' in variables;
      });
      expect(paced).toHaveLength(1);
    });

    it('builds one operations dashboard with API, function, DLQ and business widgets', () => {
      template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
      const body = JSON.stringify(Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0]);
      for (const metric of ['UsageRecordsIngested', 'OverageAmountBilled', 'StripeErrors', 'WebhookDeliveryFailures', 'ApproximateNumberOfMessagesVisible', '5xx']) {
        expect(body, metric).toContain(metric);
      }
    });

    it('lets only the usage API send to the usage queue, and tells it the URL', () => {
      const usageQueueId = resourceIdMatching(template, 'AWS::SQS::Queue', /^UsageQueue[0-9A-F]{8}$/);
      for (const group of Object.values(routeTable.functionGroups)) {
        const sends = sendsTo(template, group.description, usageQueueId);
        const wants = 'sends' in group && (group.sends as readonly string[]).includes('usage');
        expect(sends, group.description).toBe(wants);
        const env = lambdaOf(template, group.description).props.Environment.Variables;
        if (wants) expect(env).toHaveProperty('USAGE_QUEUE_URL');
      }
    });

    it('declares the webhooks queue from contracts/queues.ts, with its DLQ after maxReceiveCount, and feeds the dispatcher with partial batch failures', () => {
      template.hasResourceProperties('AWS::SQS::Queue', {
        VisibilityTimeout: queues.webhooks.visibilityTimeoutSeconds,
        MessageRetentionPeriod: queues.webhooks.retentionSeconds,
        SqsManagedSseEnabled: true,
        RedrivePolicy: { maxReceiveCount: queues.webhooks.maxReceiveCount, deadLetterTargetArn: Match.anyValue() },
      });
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        BatchSize: queues.webhooks.consumer.batchSize,
        FunctionName: { Ref: lambdaOf(template, queues.webhooks.consumer.description).id },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
      const dispatcher = lambdaOf(template, queues.webhooks.consumer.description);
      expect(dispatcher.props.Timeout).toBeLessThan(queues.webhooks.visibilityTimeoutSeconds);
      // A batch delivers in parallel: one attempt's timeout (5 s) fits with room for the writes.
      expect(dispatcher.props.Timeout).toBeGreaterThanOrEqual(15);
      // Backoff is ChangeMessageVisibility on the failed message; the redrive policy says which receive is the last.
      const queueId = resourceIdMatching(template, 'AWS::SQS::Queue', /^WebhooksQueue[0-9A-F]{8}$/);
      const onQueue = statementsOf(template, queues.webhooks.consumer.description).filter((s) => JSON.stringify(s.Resource).includes(`"${queueId}"`));
      expect(onQueue.flatMap((s) => s.Action)).toEqual(expect.arrayContaining(['sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes']));
    });

    it('retries webhooks for about a day before the DLQ, well inside the queue retention', () => {
      const schedule = retryScheduleSeconds(queues.webhooks.maxReceiveCount, DEFAULT_RETRY_POLICY);
      const lastAttempt = schedule.at(-1) ?? 0;
      expect(lastAttempt).toBeGreaterThan(20 * 3600);
      expect(lastAttempt).toBeLessThan(30 * 3600);
      // With every wait jittered to its longest, the last attempt still happens before SQS drops the message.
      expect(lastAttempt * (1 + DEFAULT_RETRY_POLICY.jitter)).toBeLessThan(queues.webhooks.retentionSeconds);
    });

    it('lets exactly the publishing function groups and the usage, overage and webhook consumers send to the webhooks queue, and tells them its URL', () => {
      const webhooksQueueId = resourceIdMatching(template, 'AWS::SQS::Queue', /^WebhooksQueue[0-9A-F]{8}$/);
      const senders = [queues.usage.consumer.description, queues.overage.consumer.description, queues.webhooks.consumer.description];
      for (const group of Object.values(routeTable.functionGroups)) {
        const wants = 'publishes' in group && group.publishes === true;
        expect(sendsTo(template, group.description, webhooksQueueId), group.description).toBe(wants);
        const env = lambdaOf(template, group.description).props.Environment.Variables;
        if (wants) expect(env.WEBHOOKS_QUEUE_URL).toEqual({ Ref: webhooksQueueId });
        else expect(env).not.toHaveProperty('WEBHOOKS_QUEUE_URL');
      }
      for (const description of senders) {
        expect(sendsTo(template, description, webhooksQueueId), description).toBe(true);
        expect(lambdaOf(template, description).props.Environment.Variables.WEBHOOKS_QUEUE_URL).toEqual({ Ref: webhooksQueueId });
      }
      // The hourly run announces entitlements that changed with time (`entitlements.updated`).
      expect(sendsTo(template, schedules.overagePlanner.description, webhooksQueueId)).toBe(true);
    });

    it('lets only the webhook routes and the dispatcher read the key that encrypts signing secrets, and tells them its ARN', () => {
      const keyId = resourceIdMatching(template, 'AWS::SecretsManager::Secret', /^WebhookSecretsKey[0-9A-F]{8}$/);
      template.hasResourceProperties('AWS::SecretsManager::Secret', { GenerateSecretString: Match.objectLike({ PasswordLength: 64 }) });
      const readers = [
        ...Object.values(routeTable.functionGroups).map((g) => ({ description: g.description, wants: 'webhookSecrets' in g && g.webhookSecrets === true })),
        ...Object.values(queues).map((q) => ({ description: q.consumer.description, wants: q === queues.webhooks })),
      ];
      expect(readers.filter((r) => r.wants)).toHaveLength(2);
      for (const { description, wants } of readers) {
        const reads = JSON.stringify(statementsOf(template, description)).includes(keyId);
        expect(reads, description).toBe(wants);
        const env = lambdaOf(template, description).props.Environment.Variables;
        if (wants) expect(env.WEBHOOK_SECRETS_KEY_ARN).toEqual({ Ref: keyId });
        else expect(env).not.toHaveProperty('WEBHOOK_SECRETS_KEY_ARN');
        // The local-development allowance for loopback receivers never reaches AWS.
        expect(env).not.toHaveProperty('WEBHOOK_ALLOW_LOCAL_TARGETS');
      }
    });

    it('passes cdk-nag AWS Solutions, every finding acknowledged with a reason, and CDK warns of nothing', () => {
      expectCleanSynthesis(synthesized);
    });
  });

  describe('with a route table holding every kind of route and table access', () => {
    let synthesized: Synthesized;
    let template: Template;
    beforeAll(() => {
      synthesized = synth({ routeTable: everyKindTable });
      template = synthesized.template;
    });

    it('puts the JWT authorizer on tenant and admin routes and none on public and Stripe routes', () => {
      for (const route of everyKindTable.routes) {
        const needsJwt = route.auth === 'tenant' || route.auth === 'admin';
        const cfn = routeByKey(template, routeKey(route));
        expect(cfn.AuthorizationType, routeKey(route)).toBe(needsJwt ? 'JWT' : 'NONE');
        expect(cfn.AuthorizerId !== undefined, routeKey(route)).toBe(needsJwt);
      }
    });

    it('verifies JWTs issued by the Cognito user pool of the stack for its app client', () => {
      template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 1);
      const [poolId] = Object.keys(template.findResources('AWS::Cognito::UserPool'));
      const [clientId] = Object.keys(template.findResources('AWS::Cognito::UserPoolClient'));
      template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
        AuthorizerType: 'JWT',
        IdentitySource: ['$request.header.Authorization'],
        JwtConfiguration: {
          Issuer: { 'Fn::Join': ['', ['https://cognito-idp.', { Ref: 'AWS::Region' }, '.amazonaws.com/', { Ref: poolId }]] },
          Audience: [{ Ref: clientId }],
        },
      });
    });

    it('creates the user pool with a tenant attribute, a strong password policy, optional MFA and enforced threat protection', () => {
      template.hasResourceProperties('AWS::Cognito::UserPool', {
        Schema: Match.arrayWith([Match.objectLike({ Name: 'tenant_id', AttributeDataType: 'String', Mutable: true })]),
        Policies: {
          PasswordPolicy: { MinimumLength: 12, RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true },
        },
        MfaConfiguration: 'OPTIONAL',
        AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
        UserPoolTier: 'PLUS',
        UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
      });
      template.hasResource('AWS::Cognito::UserPool', { DeletionPolicy: 'Retain' });
      template.hasResourceProperties('AWS::Cognito::UserPoolGroup', { GroupName: 'billing-admin' });
    });

    it('gives the app client no secret, the authorization code flow, and no right to write the tenant', () => {
      template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
        GenerateSecret: false,
        AllowedOAuthFlows: ['code'],
        AllowedOAuthFlowsUserPoolClient: true,
        ReadAttributes: Match.arrayWith(['custom:tenant_id']),
        WriteAttributes: Match.not(Match.arrayWith(['custom:tenant_id'])),
      });
    });

    it('grants a read group item reads on the table and each named index, and updates only of its rate-limit counters', () => {
      expect(dynamoActionsOf(template, 'fixture: reader')).toEqual(
        ['dynamodb:BatchGetItem', 'dynamodb:ConditionCheckItem', 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem'].sort(),
      );
      const update = statementsOf(template, 'fixture: reader').find((s) => JSON.stringify(s.Action).includes('UpdateItem'));
      expect(update?.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['RATE#*'] } });
      const resources = JSON.stringify(statementsOf(template, 'fixture: reader').map((s) => s.Resource));
      for (const index of tableDefinition.indexes) expect(resources).toContain(`/index/${index.name}`);
      expect(resources).not.toContain('/index/*');
    });

    it('grants a readwrite group item writes as well, but no Scan and no table management', () => {
      const actions = dynamoActionsOf(template, 'fixture: writer');
      expect(actions).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem']));
      expect(actions).not.toContain('dynamodb:Scan');
      expect(actions.filter((a) => a.includes('Table'))).toEqual([]);
    });

    it('sets TABLE_NAME on functions with table access only', () => {
      const tableRef = { Ref: Object.keys(template.findResources('AWS::DynamoDB::Table'))[0] };
      expect(lambdaOf(template, 'fixture: reader').props.Environment.Variables.TABLE_NAME).toEqual(tableRef);
      expect(lambdaOf(template, 'fixture: writer').props.Environment.Variables.TABLE_NAME).toEqual(tableRef);
      expect(lambdaOf(template, 'fixture: catalog').props.Environment.Variables).not.toHaveProperty('TABLE_NAME');
    });

    it("applies a group's memory and timeout, with defaults for the others", () => {
      expect(lambdaOf(template, 'fixture: reader').props).toMatchObject({ MemorySize: 512, Timeout: 20 });
      expect(lambdaOf(template, 'fixture: catalog').props).toMatchObject({ MemorySize: 256, Timeout: 10 });
    });

    it('passes cdk-nag AWS Solutions and CDK warns of nothing', () => {
      expectCleanSynthesis(synthesized);
    });
  });

  describe('with an external OIDC issuer in context', () => {
    let synthesized: Synthesized;
    beforeAll(() => {
      synthesized = synth({
        context: {
          oidcIssuer: 'https://login.example.com/',
          oidcAudience: 'billing-api, billing-web',
          tenantClaim: 'https://example.com/tenant',
          groupsClaim: 'roles',
        },
        routeTable: everyKindTable,
      });
    });

    it('verifies JWTs from that issuer for each audience and creates no user pool', () => {
      const { template } = synthesized;
      template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
        AuthorizerType: 'JWT',
        JwtConfiguration: { Issuer: 'https://login.example.com/', Audience: ['billing-api', 'billing-web'] },
      });
      template.resourceCountIs('AWS::Cognito::UserPool', 0);
      template.resourceCountIs('AWS::Cognito::UserPoolClient', 0);
      expect(Object.keys(template.findOutputs('*'))).not.toContain('UserPoolId');
    });

    it("passes the issuer's claim names to the functions, defaulting the ones not given", () => {
      expect(lambdaOf(synthesized.template, 'fixture: reader').props.Environment.Variables).toMatchObject({
        TENANT_CLAIM: 'https://example.com/tenant',
        GROUPS_CLAIM: 'roles',
        ADMIN_GROUP: 'billing-admin',
      });
    });

    it('passes cdk-nag AWS Solutions and CDK warns of nothing', () => {
      expectCleanSynthesis(synthesized);
    });
  });

  describe('with throttling and CORS origins in context', () => {
    let template: Template;
    beforeAll(() => {
      // As `cdk synth -c throttleRateLimit=50 ...` passes them: strings.
      ({ template } = synth({
        context: { throttleRateLimit: '50', throttleBurstLimit: '75', corsOrigins: 'https://app.example.com,http://localhost:5173' },
      }));
    });

    it('throttles the default stage at the given rate and burst', () => {
      template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 75 },
      });
    });

    it('answers CORS preflights for the given origins with the headers clients send', () => {
      template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
        CorsConfiguration: {
          AllowOrigins: ['https://app.example.com', 'http://localhost:5173', Match.objectLike({ 'Fn::Join': Match.anyValue() })],
          AllowHeaders: Match.arrayWith(['authorization', 'content-type', 'idempotency-key']),
          AllowMethods: Match.arrayWith(['GET', 'OPTIONS']),
        },
      });
    });
  });

  describe('context validation', () => {
    it.each([
      [{ oidcIssuer: 'https://login.example.com/' }, /oidcIssuer and oidcAudience go together/],
      [{ oidcIssuer: 'http://login.example.com/', oidcAudience: 'x' }, /oidcIssuer/],
      [{ tenantClaim: 'tenant' }, /apply only to an external OIDC issuer/],
      [{ throttleRateLimit: '500' }, /throttleBurstLimit: must be at least throttleRateLimit/],
      [{ throttleRateLimit: 'lots' }, /throttleRateLimit/],
      [{ corsOrigins: 'https://app.example.com/path' }, /corsOrigins/],
      [{ alarmEmail: 'ops-at-example.com' }, /alarmEmail/],
      [{ webDomainName: 'billing.example.com' }, /webDomainName and webCertificateArn go together/],
      [{ webDomainName: 'billing.example.com', webCertificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/0a1b' }, /us-east-1/],
      [{ webDomainName: 'https://billing.example.com', webCertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/0a1b' }, /webDomainName/],
    ])('rejects %j with a clear error', (context, message) => {
      expect(() => synth({ context })).toThrow(message);
    });
  });

  describe('template validation', () => {
    it('fails synthesis on a CloudFormation schema error instead of warning about it', () => {
      const { app, stack } = billingApp();
      new CfnResource(stack, 'Broken', { type: 'AWS::SQS::Queue', properties: { VisibilityTimeout: 'soon' } });
      expect(() => app.synth()).toThrow(/VisibilityTimeout/);
    });

    it('fails synthesis on a CloudFormation validation warning', () => {
      const { app, stack } = billingApp();
      new CfnParameter(stack, 'Unused', { type: 'String', default: 'x' });
      expect(() => app.synth()).toThrow(/not referenced anywhere/);
    });

    it('fails synthesis on a cdk-nag finding nobody acknowledged', () => {
      const { app, stack } = billingApp();
      new Secret(stack, 'Unrotated');
      expect(() => app.synth()).toThrow(/AwsSolutions-SMG4/);
    });

    it('fails synthesis on a Control Tower finding nobody acknowledged', () => {
      const { app, stack } = billingApp();
      new Alarm(stack, 'Silent', { metric: new Metric({ namespace: 'X', metricName: 'Y', period: Duration.minutes(5) }), threshold: 1, evaluationPeriods: 1 });
      expect(() => app.synth()).toThrow(/CT\.CLOUDWATCH\.PR\.1/);
    });
  });

  describe('the billing web page (CloudFront + S3)', () => {
    let synthesized: Synthesized;
    let template: Template;
    let distributionId: string;
    let siteBucketId: string;
    beforeAll(() => {
      synthesized = synth({ context: { cognitoDomainPrefix: 'securenet-billing-test' } });
      template = synthesized.template;
      distributionId = resourceIdMatching(template, 'AWS::CloudFront::Distribution', /^WebDistribution[0-9A-F]{8}$/);
      siteBucketId = resourceIdMatching(template, 'AWS::S3::Bucket', /^WebSite[0-9A-F]{8}$/);
    });
    const distributionDomain = () => ({ 'Fn::GetAtt': [distributionId, 'DomainName'] });

    it('keeps the page in a private, encrypted bucket that refuses plain HTTP', () => {
      template.hasResourceProperties('AWS::S3::Bucket', {
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        LoggingConfiguration: Match.objectLike({ LogFilePrefix: 's3/' }),
      });
      expect(Object.keys(template.findResources('AWS::S3::Bucket', { Properties: { PublicAccessBlockConfiguration: Match.absent() } }))).toEqual([]);
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: siteBucketId },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    });

    it('versions both buckets, keeping replaced page files and expired logs 30 days', () => {
      const buckets = Object.values(template.findResources('AWS::S3::Bucket')).map((b) => (b as { Properties: Record<string, unknown> }).Properties);
      expect(buckets).toHaveLength(2);
      for (const bucket of buckets) {
        expect(bucket).toMatchObject({
          VersioningConfiguration: { Status: 'Enabled' },
          LifecycleConfiguration: { Rules: [expect.objectContaining({ NoncurrentVersionExpiration: { NoncurrentDays: 30 }, Status: 'Enabled' })] },
        });
      }
    });

    it('serves on CloudFront\'s own certificate when no domain is given', () => {
      template.hasResourceProperties('AWS::CloudFront::Distribution', {
        DistributionConfig: Match.objectLike({ Aliases: Match.absent(), ViewerCertificate: Match.absent() }),
      });
    });

    it('lets only this distribution read the bucket, through origin access control (no OAI, no public read)', () => {
      template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
      template.resourceCountIs('AWS::CloudFront::CloudFrontOriginAccessIdentity', 0);
      const oacId = resourceIdMatching(template, 'AWS::CloudFront::OriginAccessControl', /OriginAccessControl/);
      template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
        OriginAccessControlConfig: { OriginAccessControlOriginType: 's3', SigningBehavior: 'always', SigningProtocol: 'sigv4' },
      });
      template.hasResourceProperties('AWS::CloudFront::Distribution', {
        DistributionConfig: Match.objectLike({
          Origins: [Match.objectLike({ OriginAccessControlId: { 'Fn::GetAtt': [oacId, 'Id'] }, S3OriginConfig: { OriginAccessIdentity: '' } })],
        }),
      });
      const policy = template.findResources('AWS::S3::BucketPolicy', { Properties: { Bucket: { Ref: siteBucketId } } });
      const statements = Object.values(policy).flatMap((p) => (p as { Properties: { PolicyDocument: { Statement: Record<string, unknown>[] } } }).Properties.PolicyDocument.Statement);
      const allows = statements.filter((st) => st.Effect === 'Allow');
      expect(allows).toEqual([
        {
          Effect: 'Allow',
          Principal: { Service: 'cloudfront.amazonaws.com' },
          Action: 's3:GetObject',
          Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [siteBucketId, 'Arn'] }, '/*']] },
          Condition: {
            StringEquals: {
              'AWS:SourceArn': {
                'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudfront::', { Ref: 'AWS::AccountId' }, ':distribution/', { Ref: distributionId }]],
              },
            },
          },
        },
      ]);
    });

    it('serves index.html at /, falls back to it for page paths, redirects HTTP to HTTPS and logs requests', () => {
      template.hasResourceProperties('AWS::CloudFront::Distribution', {
        DistributionConfig: Match.objectLike({
          DefaultRootObject: 'index.html',
          DefaultCacheBehavior: Match.objectLike({ ViewerProtocolPolicy: 'redirect-to-https', ResponseHeadersPolicyId: Match.anyValue() }),
          CacheBehaviors: [Match.objectLike({ PathPattern: 'assets/*', ViewerProtocolPolicy: 'redirect-to-https' })],
          CustomErrorResponses: [403, 404].map((code) => ({ ErrorCode: code, ResponseCode: 200, ResponsePagePath: '/index.html', ErrorCachingMinTTL: 0 })),
          Logging: Match.objectLike({ Prefix: 'cloudfront/' }),
        }),
      });
    });

    it('sends a content security policy (scripts from the page only, no framing) and caches only the hashed assets', () => {
      const policies = Object.values(template.findResources('AWS::CloudFront::ResponseHeadersPolicy')).map((p) => JSON.stringify(p));
      expect(policies).toHaveLength(2);
      for (const policy of policies) {
        for (const directive of ["default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"]) expect(policy).toContain(directive);
        expect(policy).toContain('"FrameOption":"DENY"');
      }
      expect(policies.filter((p) => p.includes('"Value":"no-cache"'))).toHaveLength(1);
      expect(policies.filter((p) => p.includes('"Value":"public, max-age=31536000, immutable"'))).toHaveLength(1);
    });

    it('deploys the page with a config.json naming the API, the hosted UI domain, the app client and the callback', () => {
      template.resourceCountIs('Custom::CDKBucketDeployment', 1);
      const [deployment] = Object.values(template.findResources('Custom::CDKBucketDeployment'));
      const props = JSON.stringify(deployment);
      expect(props).toContain(`"${siteBucketId}"`);
      const apiId = resourceIdMatching(template, 'AWS::ApiGatewayV2::Api', /HttpApi/);
      const clientId = resourceIdMatching(template, 'AWS::Cognito::UserPoolClient', /WebClient/);
      const domainId = resourceIdMatching(template, 'AWS::Cognito::UserPoolDomain', /Domain/);
      // Deploy-time values of Source.jsonData travel as markers beside the uploaded file.
      for (const id of [apiId, clientId, domainId, distributionId]) expect(props).toContain(`"${id}"`);
    });

    it("lets the hosted UI return to the page's /auth/callback, besides the configured callbacks", () => {
      template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
        CallbackURLs: ['http://localhost:3000/auth/callback', { 'Fn::Join': ['', ['https://', distributionDomain(), '/auth/callback']] }],
      });
    });

    it('outputs the page URL', () => {
      template.hasOutput('WebUrl', { Value: { 'Fn::Join': ['', ['https://', distributionDomain()]] } });
    });

    it('passes cdk-nag AWS Solutions and CDK warns of nothing', () => {
      expectCleanSynthesis(synthesized);
    });
  });

  describe('with the page on a domain of its own and an alarm e-mail in context', () => {
    const certificateArn = 'arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789';
    let synthesized: Synthesized;
    let template: Template;
    beforeAll(() => {
      synthesized = synth({ context: { webDomainName: 'billing.example.com', webCertificateArn: certificateArn, alarmEmail: 'ops@example.com' } });
      template = synthesized.template;
    });

    it('serves the page on that domain with its certificate, TLSv1.2_2021 at least and SNI', () => {
      template.hasResourceProperties('AWS::CloudFront::Distribution', {
        DistributionConfig: Match.objectLike({
          Aliases: ['billing.example.com'],
          ViewerCertificate: { AcmCertificateArn: certificateArn, MinimumProtocolVersion: 'TLSv1.2_2021', SslSupportMethod: 'sni-only' },
        }),
      });
      template.hasOutput('WebUrl', { Value: 'https://billing.example.com' });
      template.hasResourceProperties('AWS::ApiGatewayV2::Api', { CorsConfiguration: Match.objectLike({ AllowOrigins: ['https://billing.example.com'] }) });
    });

    it('needs no acknowledgment of the CloudFront certificate and TLS controls', () => {
      const tower = validationReport(synthesized).pluginReports.find((p) => p.pluginName === 'ControlTower');
      const acknowledged = tower?.suppressedViolations.map((v) => v.ruleName) ?? [];
      expect(acknowledged).not.toContain('cloudfront_custom_ssl_certificate_check');
      expect(acknowledged).not.toContain('cloudfront_sni_enabled_check');
      expect(acknowledged).not.toContain('cloudfront_security_policy_check');
    });

    it('subscribes the alarm e-mail to the alarm topic', () => {
      const topicId = resourceIdMatching(template, 'AWS::SNS::Topic', /^AlarmsTopic[0-9A-F]{8}$/);
      template.resourceCountIs('AWS::SNS::Subscription', 1);
      template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: { Ref: topicId } });
    });

    it('passes cdk-nag AWS Solutions and Control Tower, and CDK warns of nothing', () => {
      expectCleanSynthesis(synthesized);
    });
  });

  describe('asset bundling', () => {
    let bundled: Synthesized;
    beforeAll(() => {
      bundled = synth({ bundle: true });
    });

    it('builds the web page with Vite at synth time into the asset the site deployment uploads', () => {
      const { template, assemblyDir } = bundled;
      const [deployment] = Object.values(template.findResources('Custom::CDKBucketDeployment'));
      const keys = z.object({ Properties: z.object({ SourceObjectKeys: z.array(z.string()) }) }).parse(deployment).Properties.SourceObjectKeys;
      const dirs = keys.map((key) => join(assemblyDir, `asset.${key.replace(/\.zip$/, '')}`));
      const page = dirs.find((dir) => existsSync(join(dir, 'index.html')));
      expect(page, 'an uploaded asset holds index.html').toBeDefined();
      const html = readFileSync(join(page ?? '', 'index.html'), 'utf8');
      const script = /src="\/(assets\/index-[\w-]+\.js)"/.exec(html)?.[1];
      expect(script).toBeDefined();
      expect(existsSync(join(page ?? '', script ?? ''))).toBe(true);
      expect(dirs.some((dir) => existsSync(join(dir, 'config.json')))).toBe(true);
    });

    it('bundles each handler locally with esbuild (no Docker) into minified ESM that defines require', () => {
      const { template, assemblyDir } = bundled;
      const assetKeys = lambdas(template).map((fn) => fn.props.Code.S3Key);
      expect(assetKeys).toHaveLength(functionCount);
      for (const key of assetKeys) {
        const dir = join(assemblyDir, `asset.${key.replace(/\.zip$/, '')}`);
        const bundle = readFileSync(join(dir, 'index.mjs'), 'utf8');
        expect(bundle.startsWith("import { createRequire as topLevelCreateRequire } from 'node:module';")).toBe(true);
        expect(bundle).toMatch(/export\s*\{[^}]*\bhandler\b/);
        expect(existsSync(join(dir, 'index.mjs.map'))).toBe(true);
      }
    });
  });
});
