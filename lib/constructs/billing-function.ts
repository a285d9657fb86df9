import { ENV } from '../../contracts/environment';
import { Duration, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Stats, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IUserPool } from 'aws-cdk-lib/aws-cognito';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LAMBDA_BUNDLING } from '../bundling';
import { acknowledgeControl } from '../control-tower';
import type { BillingTable, DataAccess } from './billing-table';

/** Entries in the route table are relative to the repository root. */
const repoRoot = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');

export interface BillingFunctionProps {
  /** Source file exporting `handler`, relative to the repository root. */
  readonly entry: string;
  readonly description: string;
  /** Encrypts the function's log group (`OperationsKey`). */
  readonly logKey: IKey;
  readonly memoryMb?: number;
  readonly timeoutSeconds?: number;
  /** Merged into the construct's own variables; a key may not be set twice. */
  readonly environment?: Readonly<Record<string, string>>;
}

/**
 * Every Lambda of the service, built one way: Node 22 on arm64, bundled locally by esbuild as
 * ESM, X-Ray tracing, its own KMS-encrypted log group, a role that starts with nothing but log writes, and an
 * alarm on errors. Permissions are added with `bind*` methods that also set the variable the
 * code reads, so a function cannot get a table name without the grant or the other way round.
 */
export class BillingFunction extends Construct {
  readonly handler: NodejsFunction;
  readonly logGroup: LogGroup;
  readonly errorsAlarm: Alarm;
  private readonly environment = new Map<string, string>();

  constructor(scope: Construct, id: string, props: BillingFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'Logs', { retention: RetentionDays.ONE_MONTH, encryptionKey: props.logKey });
    acknowledgeControl(
      this.logGroup,
      'CT.CLOUDWATCH.PR.2',
      'Function logs carry tenant and user ids and serve debugging; a month keeps them no longer than that needs. What billing must keep lives in the table (billing events, invoices) and the API access logs.',
    );

    // An own role instead of AWSLambdaBasicExecutionRole: that managed policy may write to
    // every log group in the account, this one only to the function's own.
    const role = new Role(this, 'Role', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    this.logGroup.grantWrite(role);

    this.handler = new NodejsFunction(this, 'Handler', {
      entry: join(repoRoot, props.entry),
      handler: 'handler',
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memoryMb ?? 256,
      timeout: Duration.seconds(props.timeoutSeconds ?? 10),
      role,
      logGroup: this.logGroup,
      tracing: Tracing.ACTIVE,
      projectRoot: repoRoot,
      depsLockFilePath: join(repoRoot, 'package-lock.json'),
      bundling: {
        // Bundle with the esbuild in node_modules: no Docker on CI or developer machines.
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        ...LAMBDA_BUNDLING,
        mainFields: [...LAMBDA_BUNDLING.mainFields],
      },
    });

    this.setEnvironment(ENV.nodeOptions, '--enable-source-maps');
    this.setEnvironment(ENV.serviceName, 'securenet-billing');
    for (const [key, value] of Object.entries(props.environment ?? {})) this.setEnvironment(key, value);

    Validations.of(role).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason:
        'Added by active X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions. Table and log grants name their resources.',
    });
    acknowledgeControl(
      this.handler,
      'CT.LAMBDA.PR.3',
      'The functions reach only AWS APIs (DynamoDB, SQS, Secrets Manager, X-Ray) and Stripe on the internet; no private resource needs a VPC, and one would add NAT gateways for Stripe.',
    );
    Validations.of(this.handler).acknowledge({
      id: 'AwsSolutions::AwsSolutions-L1',
      reason: 'Pinned to nodejs22.x, the Node line the code, its esbuild target and the local runner are tested on; move deliberately.',
    });

    this.errorsAlarm = new Alarm(this, 'ErrorsAlarm', {
      alarmDescription: `${props.description}: the function failed (unhandled error or timeout)`,
      metric: this.handler.metricErrors({ period: Duration.minutes(5), statistic: Stats.SUM }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }

  /** Grants least-privilege item access to the billing table and tells the code its name. */
  bindTable(table: BillingTable, options: { readonly access: DataAccess }): void {
    table.grantData(this.handler, options.access);
    this.setEnvironment(ENV.tableName, table.tableName);
  }

  /** Lets the function read a secret and tells the code its ARN under `variable`. */
  bindSecretRead(secret: ISecret, variable: string): void {
    secret.grantRead(this.handler);
    this.setEnvironment(variable, secret.secretArn);
  }

  /** Lets the function send to a queue and tells the code its URL under `variable`. */
  bindQueueSend(queue: IQueue, variable: string): void {
    queue.grantSendMessages(this.handler);
    this.setEnvironment(variable, queue.queueUrl);
  }

  /**
   * Lets the function create and delete app clients of `userPool` (machine credentials), and
   * nothing else there; tells the code the pool. Without a pool (an external issuer) it says `none`.
   */
  bindApiClients(userPool: IUserPool | undefined): void {
    if (!userPool) {
      this.setEnvironment(ENV.apiClientIssuer, 'none');
      return;
    }
    userPool.grant(this.handler, 'cognito-idp:CreateUserPoolClient', 'cognito-idp:DeleteUserPoolClient');
    this.setEnvironment(ENV.apiClientIssuer, 'cognito');
    this.setEnvironment(ENV.apiClientUserPoolId, userPool.userPoolId);
  }

  /**
   * Tells the code where machine credentials get their tokens (the OpenAPI document names it):
   * the user pool domain's `/oauth2/token`, or empty without a domain (no client-credentials
   * token endpoint exists then).
   */
  bindTokenEndpoint(tokenUrl: string | undefined): void {
    this.setEnvironment(ENV.oauthTokenUrl, tokenUrl ?? '');
  }

  /** This function's share of the Stripe account's rate limit, in requests per second per container. */
  bindStripeBudget(requestsPerSecond: number): void {
    this.setEnvironment(ENV.stripeMaxRequestsPerSecond, String(requestsPerSecond));
  }

  /** Adds a variable; setting a key twice is a wiring mistake, so it fails synthesis. */
  private setEnvironment(key: string, value: string): void {
    if (this.environment.has(key)) {
      throw new Error(`${this.node.path}: environment variable ${key} is already set`);
    }
    this.environment.set(key, value);
    this.handler.addEnvironment(key, value);
  }
}
