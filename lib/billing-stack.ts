import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { CfnUserPoolClient } from 'aws-cdk-lib/aws-cognito';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { AlarmNotifications } from './constructs/alarm-notifications';
import { BillingApi } from './constructs/billing-api';
import { BillingFunction } from './constructs/billing-function';
import { BillingIdentity, claimEnvironment, cognitoClaims, type ExternalIssuer, TokenAuthorizer } from './constructs/billing-identity';
import { BillingTable } from './constructs/billing-table';
import { OperationsDashboard } from './constructs/operations-dashboard';
import { OperationsKey } from './constructs/operations-key';
import { QueueConsumer } from './constructs/usage-pipeline';
import { WebSite } from './constructs/web-site';
import { ENV, queueUrlVariable, queuesSentTo, type FunctionNeeds, type QueueRef } from '../contracts/environment';
import { queues, schedules } from '../contracts/queues';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { type RouteTable, routeTable as defaultRouteTable, takesMachineTokens } from '../contracts/routes';
import { readStackConfig, stripeBudgetPerWorker, type StackConfig } from './stack-config';

const REPO_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

export interface BillingStackProps extends StackProps {
  /** What to build Lambdas and routes from (default: `contracts/routes.ts`); tests bring their own. */
  readonly routeTable?: RouteTable;
}

/** The external OIDC issuer the context names, with its claim names; none means Cognito. */
const externalIssuer = (config: StackConfig): ExternalIssuer | undefined =>
  config.oidcIssuer === undefined || config.oidcAudience === undefined
    ? undefined
    : {
        issuer: config.oidcIssuer,
        audience: config.oidcAudience,
        claims: {
          tenantClaim: config.tenantClaim ?? cognitoClaims.tenantClaim,
          groupsClaim: config.groupsClaim ?? cognitoClaims.groupsClaim,
          adminGroup: config.adminGroup ?? cognitoClaims.adminGroup,
        },
      };

/**
 * SecureNet Billing in one stack (SPEC section 1): the table, the identity provider, one Lambda
 * per function group of the route table and the HTTP API in front of them. Settings come from
 * CDK context, see `lib/stack-config.ts`.
 */
export class BillingStack extends Stack {
  readonly table: BillingTable;
  readonly identity: BillingIdentity;
  /**
   * The Lambda authorizer of the routes that take machine tokens; none with an external issuer
   * (no machine credentials) or when no route declares scopes.
   */
  readonly tokenAuthorizer?: TokenAuthorizer;
  /** By function group name, as in `functionGroups`. */
  readonly functions: ReadonlyMap<string, BillingFunction>;
  readonly api: BillingApi;
  /** Stripe API and webhook signing keys; operators put the values after the first deploy. */
  readonly stripeSecret: Secret;
  /** The usage queue, its DLQ and the aggregation Lambda. */
  readonly usage: QueueConsumer;
  /** The overage work queue, its DLQ and the worker; the planner that feeds it. */
  readonly overage: QueueConsumer;
  readonly overagePlanner: BillingFunction;
  /** The tenant-webhook queue, its DLQ and the dispatcher that delivers the webhooks. */
  readonly webhooks: QueueConsumer;
  /** Key material (generated) that encrypts tenants' webhook signing secrets in the table. */
  readonly webhookSecretsKey: Secret;
  /** The billing web page: bucket, CloudFront distribution, deployment and config. */
  readonly web: WebSite;
  /** Every alarm the stack raises; each notifies `alarmNotifications.topic`. */
  readonly alarms: readonly Alarm[];
  /** Encrypts every log group and the alarm topic. */
  readonly operationsKey: OperationsKey;
  /** Where every alarm goes when it fires and when it clears. */
  readonly alarmNotifications: AlarmNotifications;

  constructor(scope: Construct, id: string, props: BillingStackProps = {}) {
    super(scope, id, props);
    const config = readStackConfig(this);
    const routeTable = props.routeTable ?? defaultRouteTable;

    this.table = new BillingTable(this, 'Table');
    this.operationsKey = new OperationsKey(this, 'OperationsKey');
    const logKey = this.operationsKey.key;
    this.identity = new BillingIdentity(this, 'Identity', {
      external: externalIssuer(config),
      callbackUrls: config.authCallbackUrls,
      domainPrefix: config.cognitoDomainPrefix,
    });

    this.stripeSecret = new Secret(this, 'StripeSecret', {
      description: 'Stripe keys as JSON: {"secret_key": "sk_...", "webhook_secret": "whsec_..."}',
    });
    Validations.of(this.stripeSecret).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SMG4',
      reason: 'Stripe keys are rolled in the Stripe dashboard, which no rotation Lambda can drive; rolling them is an operator runbook step.',
    });

    // Tenant webhooks: signing secrets are stored AES-256-GCM-encrypted under a key derived from
    // this generated secret; the configure routes and the dispatcher read it, nothing else.
    this.webhookSecretsKey = new Secret(this, 'WebhookSecretsKey', {
      description: 'Key material for encrypting tenant webhook signing secrets at rest (generated; never shown)',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    Validations.of(this.webhookSecretsKey).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SMG4',
      reason: 'Rotating this data key means re-encrypting every stored webhook signing secret; that is a deliberate operator runbook step, not a scheduled rotation Lambda.',
    });
    // The queues first: functions are granted from their declared needs, and those name queues.
    const claims = claimEnvironment(this.identity.claims);
    this.webhooks = new QueueConsumer(this, 'Webhooks', { definition: queues.webhooks, logKey, environment: claims });
    this.usage = new QueueConsumer(this, 'Usage', { definition: queues.usage, logKey, environment: claims });
    // The overage run: an hourly planner enqueues closed periods; workers bill them in Stripe.
    this.overage = new QueueConsumer(this, 'Overage', {
      definition: queues.overage,
      logKey,
      environment: claims,
      maxConcurrency: config.overageWorkerConcurrency,
    });
    const sendable: Record<QueueRef, IQueue> = { usage: this.usage.queue, overage: this.overage.queue, webhooks: this.webhooks.queue };
    /** Grants what a function declares it needs (contracts/), and sets the variables that say where. */
    const grant = (fn: BillingFunction, needs: FunctionNeeds): void => {
      if (needs.table !== 'none') fn.bindTable(this.table, { access: needs.table });
      if (needs.stripe) fn.bindSecretRead(this.stripeSecret, ENV.stripeSecretArn);
      if (needs.stripeBudget) fn.bindStripeBudget(stripeBudgetPerWorker(config));
      if (needs.webhookSecrets) fn.bindSecretRead(this.webhookSecretsKey, ENV.webhookSecretsKeyArn);
      for (const queue of queuesSentTo(needs)) fn.bindQueueSend(sendable[queue], queueUrlVariable(queue));
      if (needs.apiClients) fn.bindApiClients(this.identity.userPool);
      if (needs.documentsApi) fn.bindTokenEndpoint(this.identity.userPoolDomain ? `${this.identity.userPoolDomain.baseUrl()}/oauth2/token` : undefined);
    };
    grant(this.webhooks.consumer, queues.webhooks.consumer.needs);
    grant(this.usage.consumer, queues.usage.consumer.needs);
    grant(this.overage.consumer, queues.overage.consumer.needs);

    this.overagePlanner = new BillingFunction(this, 'OveragePlanner', {
      entry: schedules.overagePlanner.entry,
      description: schedules.overagePlanner.description,
      logKey,
      timeoutSeconds: 300,
      environment: claims,
    });
    grant(this.overagePlanner, schedules.overagePlanner.needs);
    new Rule(this, 'OverageSchedule', {
      description: 'Starts the overage run',
      schedule: Schedule.expression(config.overageSchedule),
      targets: [new LambdaFunction(this.overagePlanner.handler, { retryAttempts: 2 })],
    });

    const functions = new Map<string, BillingFunction>();
    for (const [name, group] of Object.entries(routeTable.functionGroups)) {
      const fn = new BillingFunction(this, `${name}-function`, {
        entry: group.entry,
        description: group.description,
        logKey,
        memoryMb: group.memoryMb,
        timeoutSeconds: group.timeoutSeconds,
        environment: claims,
      });
      grant(fn, group);
      // Tenant routes count requests per tenant; read-only functions may touch only those counters.
      const servesTenants = routeTable.routes.some((r) => r.group === name && r.auth === 'tenant');
      if (servesTenants && group.table === 'read') this.table.grantRateLimitCounters(fn.handler);
      functions.set(name, fn);
    }
    this.functions = functions;

    // The billing page: its origin may call the API (CORS) and receive Cognito's sign-in code.
    this.web = new WebSite(this, 'Web', {
      sourceDir: join(REPO_ROOT, 'web'),
      logKey,
      ...(config.webDomainName && config.webCertificateArn
        ? { domain: { domainName: config.webDomainName, certificateArn: config.webCertificateArn } }
        : {}),
    });
    // Stripe's hosted pages (Checkout, the portal) may send people back to the page's origins only.
    const webOrigins = [...config.corsOrigins, this.web.url].join(',');
    for (const [name, group] of Object.entries(routeTable.functionGroups) as [string, FunctionNeeds][]) {
      if (group.redirects) functions.get(name)?.handler.addEnvironment(ENV.webOrigins, webOrigins);
    }
    const appClient = this.identity.userPoolClient?.node.defaultChild;
    if (appClient instanceof CfnUserPoolClient) {
      appClient.callbackUrLs = [...config.authCallbackUrls, this.web.callbackUrl];
    }

    const { userPool, userPoolClient } = this.identity;
    if (userPool && userPoolClient && routeTable.routes.some(takesMachineTokens)) {
      this.tokenAuthorizer = new TokenAuthorizer(this, 'TokenAuthorizer', { userPool, webClient: userPoolClient, claims: this.identity.claims, logKey });
    }
    this.api = new BillingApi(this, 'Api', {
      routes: routeTable.routes,
      functions: new Map([...functions].map(([name, fn]) => [name, fn.handler])),
      authorizer: this.identity.authorizer,
      ...(this.tokenAuthorizer ? { tokenAuthorizer: this.tokenAuthorizer.authorizer } : {}),
      throttle: { rateLimit: config.throttleRateLimit, burstLimit: config.throttleBurstLimit },
      corsOrigins: [...config.corsOrigins, this.web.url],
      logKey,
    });
    this.web.deploy({
      apiUrl: this.api.url,
      ...(this.identity.userPoolDomain && this.identity.userPoolClient
        ? { userPoolDomain: this.identity.userPoolDomain.baseUrl(), clientId: this.identity.userPoolClient.userPoolClientId }
        : {}),
      ...(this.identity.userPoolDomain ? { tokenUrl: `${this.identity.userPoolDomain.baseUrl()}/oauth2/token` } : {}),
    });


    // An overage line Stripe refused for good is recorded, not retried: someone has to look at it.
    const overageRefused = new Alarm(this, 'OverageRefusedAlarm', {
      alarmDescription: 'Stripe refused an overage line for good (see the overage.failed billing events and the admin run summary)',
      metric: new Metric({
        namespace: 'SecureNetBilling',
        metricName: 'OverageLinesFailed',
        dimensionsMap: { service: 'securenet-billing' },
        statistic: 'Sum',
        period: Duration.minutes(5),
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    this.alarms = [
      overageRefused,
      ...[...functions.values()].map((fn) => fn.errorsAlarm),
      ...this.usage.alarms,
      ...this.overage.alarms,
      ...this.webhooks.alarms,
      this.overagePlanner.errorsAlarm,
      // It fails only when it cannot verify at all (the pool's keys unreachable): every scoped route answers 500.
      ...(this.tokenAuthorizer ? [this.tokenAuthorizer.function.errorsAlarm] : []),
    ];
    this.alarmNotifications = new AlarmNotifications(this, 'Alarms', {
      key: logKey,
      ...(config.alarmEmail ? { email: config.alarmEmail } : {}),
    });
    this.alarmNotifications.notifyOn(this.alarms);

    new OperationsDashboard(this, 'Operations', {
      apiId: this.api.httpApi.apiId,
      functions: [
        ...[...functions.values()].map((fn) => fn.handler),
        this.usage.consumer.handler,
        this.overage.consumer.handler,
        this.webhooks.consumer.handler,
        this.overagePlanner.handler,
        ...(this.tokenAuthorizer ? [this.tokenAuthorizer.function.handler] : []),
      ],
      deadLetterQueues: [this.usage.deadLetterQueue, this.overage.deadLetterQueue, this.webhooks.deadLetterQueue],
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.url });
    new CfnOutput(this, 'WebUrl', { value: this.web.url, description: 'The billing web page' });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'StripeSecretArn', { value: this.stripeSecret.secretArn });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmNotifications.topic.topicArn, description: 'Every alarm notifies this topic' });
    if (this.identity.userPool && this.identity.userPoolClient) {
      new CfnOutput(this, 'UserPoolId', { value: this.identity.userPool.userPoolId });
      new CfnOutput(this, 'UserPoolClientId', { value: this.identity.userPoolClient.userPoolClientId });
    }
    if (this.identity.userPoolDomain) {
      new CfnOutput(this, 'SignInBaseUrl', { value: this.identity.userPoolDomain.baseUrl() });
      new CfnOutput(this, 'TokenEndpoint', {
        value: `${this.identity.userPoolDomain.baseUrl()}/oauth2/token`,
        description: 'Where API clients (machine credentials) get their tokens: client_credentials grant',
      });
    }
  }
}
