import { ENV, queueUrlVariable, queuesSentTo, type FunctionNeeds, type QueueRef } from '../contracts/environment';
import type { Environment } from '../src/platform/environment';
import { LOCAL_AWS_ENV } from './dynamodb-local';

/** What the local stack runs: where each declared need is served from. */
export interface LocalResources {
  readonly tableName: string;
  readonly dynamoEndpoint: string;
  readonly sqsEndpoint: string;
  readonly queueUrls: Readonly<Record<QueueRef, string>>;
  readonly stripe: { readonly secretKey: string; readonly webhookSecret: string; readonly apiBase: string; readonly requestsPerSecond: number };
  readonly webhookSecretsKey: string;
  readonly allowLocalWebhookTargets: boolean;
  /** The billing page's origins (the local API serves it); filled in once the API listens. */
  readonly webOrigins: readonly string[];
}

/**
 * Knobs the code reads with defaults and the stack leaves unset (log level, rate limits, webhook
 * retry timing, claim names): a developer or a test may set them for the whole local stack.
 */
const TUNING = /^(AWS_|POWERTOOLS_|RATE_LIMIT_|WEBHOOK_RETRY_|WEBHOOK_TIMEOUT_MS$|TENANT_CLAIM$|GROUPS_CLAIM$|ADMIN_GROUP$|API_CLIENT_CACHE_SECONDS$)/;

/**
 * The environment one function gets locally: what the CDK stack gives it for its declared needs
 * (contracts/environment.ts), with the local stand-ins for what is a secret or an endpoint in AWS
 * (Stripe keys instead of the secret's ARN, the webhook key material instead of its ARN, and
 * the endpoints of DynamoDB Local and the local SQS). Nothing else: a function that reads a
 * variable its needs do not declare fails here as it would in AWS.
 */
export const localEnvironment = (needs: FunctionNeeds, local: LocalResources, tuning: Environment = process.env): Environment => {
  const sends = queuesSentTo(needs);
  return {
    ...Object.fromEntries(Object.entries(tuning).filter(([name]) => TUNING.test(name))),
    ...LOCAL_AWS_ENV,
    [ENV.serviceName]: 'securenet-billing',
    ...(needs.table === 'none' ? {} : { [ENV.tableName]: local.tableName, DYNAMODB_ENDPOINT: local.dynamoEndpoint }),
    ...(needs.stripe
      ? { STRIPE_SECRET_KEY: local.stripe.secretKey, STRIPE_WEBHOOK_SECRET: local.stripe.webhookSecret, STRIPE_API_BASE: local.stripe.apiBase }
      : {}),
    ...(needs.stripeBudget ? { [ENV.stripeMaxRequestsPerSecond]: String(local.stripe.requestsPerSecond) } : {}),
    ...(needs.webhookSecrets
      ? { WEBHOOK_SECRETS_KEY: local.webhookSecretsKey, WEBHOOK_ALLOW_LOCAL_TARGETS: local.allowLocalWebhookTargets ? 'true' : 'false' }
      : {}),
    ...(needs.redirects ? { [ENV.webOrigins]: local.webOrigins.join(',') } : {}),
    // The local token endpoint (local/oauth-token.ts) checks the secrets itself, from their hashes.
    ...(needs.apiClients ? { [ENV.apiClientIssuer]: 'local' } : {}),
    // The local token endpoint is on the API's own host: the document's relative default.
    ...(needs.documentsApi ? { [ENV.oauthTokenUrl]: '/oauth2/token' } : {}),
    ...(sends.length === 0 ? {} : { SQS_ENDPOINT: local.sqsEndpoint }),
    ...Object.fromEntries(sends.map((queue) => [queueUrlVariable(queue), local.queueUrls[queue]])),
  };
};
