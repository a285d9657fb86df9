import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { App } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { expect } from 'vitest';
import * as z from 'zod';
import { createBillingApp } from '../../../lib/billing-app';
import type { BillingStack } from '../../../lib/billing-stack';
import type { RouteTable } from '../../../contracts/routes';

/** The context `cdk synth` gets from cdk.json: feature flags and validation settings. */
const cdkJsonContext = z
  .object({ context: z.record(z.string(), z.unknown()) })
  .parse(JSON.parse(readFileSync(new URL('../../../cdk.json', import.meta.url), 'utf8'))).context;

export interface SynthOptions {
  readonly context?: Record<string, unknown>;
  /** Run esbuild for the Lambda assets; slow, so only one test does. */
  readonly bundle?: boolean;
  readonly routeTable?: RouteTable;
}

/** The app as `cdk synth` builds it, cdk-nag included, not yet synthesized. */
export const billingApp = ({ context = {}, bundle = false, routeTable }: SynthOptions = {}): { app: App; stack: BillingStack } =>
  createBillingApp(
    { context: { ...cdkJsonContext, ...(bundle ? {} : { 'aws:cdk:bundling-stacks': [] }), ...context } },
    { routeTable },
  );

export interface Synthesized {
  readonly stack: BillingStack;
  readonly template: Template;
  readonly assemblyDir: string;
}

export const synth = (options: SynthOptions = {}): Synthesized => {
  const { app, stack } = billingApp(options);
  const assembly = app.synth();
  return { stack, template: Template.fromStack(stack), assemblyDir: assembly.directory };
};

/** Every kind of route and table access, before the real route table has them all. */
const fixtureEntry = 'functions/plans/handler.ts';
export const everyKindTable: RouteTable = {
  functionGroups: {
    catalog: { entry: fixtureEntry, description: 'fixture: catalog', table: 'none' },
    reader: { entry: fixtureEntry, description: 'fixture: reader', table: 'read', memoryMb: 512, timeoutSeconds: 20 },
    writer: { entry: fixtureEntry, description: 'fixture: writer', table: 'readwrite' },
  },
  routes: [
    { method: 'GET', path: '/plans', group: 'catalog', operation: 'listPlans', auth: 'public' },
    { method: 'GET', path: '/invoices/{id}', group: 'reader', operation: 'getInvoice', auth: 'tenant' },
    { method: 'POST', path: '/admin/usage/process-overages', group: 'writer', operation: 'processOverages', auth: 'admin' },
    { method: 'POST', path: '/webhooks/stripe', group: 'writer', operation: 'stripeWebhook', auth: 'stripe' },
  ],
};

// Typed views of the template parts the tests look into.
const ref = z.object({ Ref: z.string() });
const lambdaSchema = z.object({
  Description: z.string(),
  Runtime: z.string(),
  Architectures: z.array(z.string()),
  MemorySize: z.number(),
  Timeout: z.number(),
  Role: z.object({ 'Fn::GetAtt': z.tuple([z.string(), z.string()]) }),
  Code: z.object({ S3Key: z.string() }),
  Environment: z.object({ Variables: z.record(z.string(), z.unknown()) }),
});
const policySchema = z.object({
  Roles: z.array(ref),
  PolicyDocument: z.object({
    Statement: z.array(
      z.object({
        Action: z.union([z.string(), z.array(z.string())]).transform((a) => (Array.isArray(a) ? a : [a])),
        Resource: z.unknown(),
        Condition: z.unknown().optional(),
      }),
    ),
  }),
});
const routeSchema = z.object({
  RouteKey: z.string(),
  AuthorizationType: z.string(),
  AuthorizerId: ref.optional(),
  Target: z.unknown(),
});

const propertiesOf = <T>(template: Template, type: string, schema: z.ZodType<T>, keep: (id: string) => boolean = () => true): Array<{ id: string; props: T }> =>
  Object.entries(template.findResources(type))
    .filter(([id]) => keep(id))
    .map(([id, resource]) => ({
      id,
      props: schema.parse(z.object({ Properties: z.unknown() }).parse(resource).Properties),
    }));

/** CDK's own BucketDeployment copy function (web site deploys), not one of ours. */
export const isWebDeploymentFunction = (logicalId: string): boolean => logicalId.startsWith('CustomCDKBucketDeployment');

/** The project's Lambdas (route groups, queue consumers, schedules); CDK's helper functions aside. */
export const lambdas = (template: Template) =>
  propertiesOf(template, 'AWS::Lambda::Function', lambdaSchema, (id) => !isWebDeploymentFunction(id));

/** The Lambda built for a function group, found by the group's description. */
export const lambdaOf = (template: Template, description: string) => {
  const found = lambdas(template).filter((f) => f.props.Description === description);
  const [fn] = found;
  if (!fn || found.length > 1) throw new Error(`expected one Lambda described "${description}", found ${found.length}`);
  return fn;
};

/** Every IAM statement on the role of the Lambda described so. */
export const statementsOf = (template: Template, description: string) => {
  const roleId = lambdaOf(template, description).props.Role['Fn::GetAtt'][0];
  return propertiesOf(template, 'AWS::IAM::Policy', policySchema)
    .filter((p) => p.props.Roles.some((r) => r.Ref === roleId))
    .flatMap((p) => p.props.PolicyDocument.Statement);
};

export const dynamoActionsOf = (template: Template, description: string): string[] =>
  statementsOf(template, description)
    .flatMap((s) => s.Action)
    .filter((a) => a.startsWith('dynamodb:'))
    .sort();

export const routeByKey = (template: Template, key: string) => {
  const route = propertiesOf(template, 'AWS::ApiGatewayV2::Route', routeSchema).find((r) => r.props.RouteKey === key);
  if (!route) throw new Error(`no route ${key}`);
  return route.props;
};

const reportSchema = z.object({
  pluginReports: z.array(
    z.object({
      pluginName: z.string(),
      conclusion: z.enum(['success', 'failure']),
      violations: z.array(z.object({ ruleName: z.string() })),
      suppressedViolations: z.array(z.object({ ruleName: z.string(), reason: z.string() })).default([]),
    }),
  ),
});

/** Findings acknowledged in code, each with its reason at its construct. A new kind needs review. */
const acknowledgedRules = new Set([
  'AwsSolutions-APIG4', // public and Stripe routes carry no JWT by design
  'AwsSolutions-COG2', // MFA optional by product decision
  'AwsSolutions-IAM5[Resource::*]', // X-Ray actions have no resource-level permissions
  'AwsSolutions-L1', // runtime pinned to nodejs22.x
  'AwsSolutions-SMG4', // Stripe keys cannot be rotated by a Lambda
  // The web site (lib/constructs/web-site.ts):
  'AwsSolutions-CFR1', // no geo restriction: customers anywhere
  'AwsSolutions-CFR2', // no WAF in front of static files from a private bucket
  'AwsSolutions-CFR4', // default *.cloudfront.net certificate
  'AwsSolutions-S1', // the access-log bucket does not log itself
  // CDK's BucketDeployment copy function: read the asset bucket, write and prune the site bucket.
  'AwsSolutions-IAM5[Action::s3:GetBucket*]',
  'AwsSolutions-IAM5[Action::s3:GetObject*]',
  'AwsSolutions-IAM5[Action::s3:List*]',
  'AwsSolutions-IAM5[Action::s3:Abort*]',
  'AwsSolutions-IAM5[Action::s3:DeleteObject*]',
  'AwsSolutions-IAM5[Resource::<WebSiteD504717C.Arn>/*]',
  'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]',
  // AWS Control Tower proactive controls (lib/control-tower.ts), each acknowledged at its construct:
  'api_gw_v2_authorization_type_configured_check', // CT.APIGATEWAY.PR.5: public and Stripe routes, as APIG4
  'cloudwatch_log_group_retention_period_check', // CT.CLOUDWATCH.PR.2: logs kept a month, access logs six
  'lambda_function_public_access_prohibited_check', // CT.LAMBDA.PR.2: API invoke permissions name their route in an Fn::Join
  'lambda_inside_vpc_check', // CT.LAMBDA.PR.3: no private resource to reach
  'cloudfront_origin_failover_enabled_check', // CT.CLOUDFRONT.PR.4: one origin bucket
  'cloudfront_custom_ssl_certificate_check', // CT.CLOUDFRONT.PR.6, 7, 9: only without webDomainName
  'cloudfront_sni_enabled_check',
  'cloudfront_security_policy_check',
  's3_bucket_logging_enabled_check', // CT.S3.PR.2: the access-log bucket itself
  's3_event_notifications_enabled_check', // CT.S3.PR.4: nothing reacts to the page's objects
  's3_bucket_object_lock_enabled_check', // CT.S3.PR.9: deploys prune, lifecycle expires
  's3_bucket_default_encryption_kms_check', // CT.S3.PR.10: public page files; log delivery needs SSE-S3
]);

/** The report `cdk synth` writes beside the templates: every plugin's findings, open and acknowledged. */
export const validationReport = ({ assemblyDir }: Synthesized) =>
  reportSchema.parse(JSON.parse(readFileSync(join(assemblyDir, 'validation-report.json'), 'utf8')));

/**
 * No validation plugin (cdk-nag, Control Tower, CloudFormation Validate) left a finding unacknowledged, only
 * known findings were acknowledged, and the constructs raised no warning or error.
 */
export const expectCleanSynthesis = (synthesized: Synthesized): void => {
  const { stack } = synthesized;
  const report = validationReport(synthesized);
  expect(report.pluginReports.map((p) => p.pluginName)).toEqual(expect.arrayContaining(['AwsSolutions', 'ControlTower']));
  for (const plugin of report.pluginReports) {
    expect(plugin.violations, plugin.pluginName).toEqual([]);
    for (const suppressed of plugin.suppressedViolations) {
      expect(acknowledgedRules, suppressed.ruleName).toContain(suppressed.ruleName);
      expect(suppressed.reason.length).toBeGreaterThan(20);
    }
  }
  const annotations = Annotations.fromStack(stack);
  expect(annotations.findError('*', Match.anyValue())).toEqual([]);
  expect(annotations.findWarning('*', Match.anyValue())).toEqual([]);
};
