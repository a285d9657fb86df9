/**
 * What a function needs from the stack, and the environment variables that carry it. Every
 * function (API groups in `routes.ts`, queue consumers and schedules in `queues.ts`) declares
 * its needs as data; the CDK stack grants exactly those and sets exactly those variables, and
 * the local runner gives each function the same set, so a missing grant or variable shows up
 * locally, not first in AWS. Plain data: imports nothing.
 */
export type TableAccess = 'none' | 'read' | 'readwrite';

/** The queues a function may send to, by their name in `queues.ts`. */
export type QueueRef = 'usage' | 'overage' | 'webhooks';

export interface FunctionNeeds {
  readonly table: TableAccess;
  /** Needs the Stripe keys (Secrets Manager in AWS). */
  readonly stripe?: true;
  /** Makes Stripe calls in bulk: paced to its share of the account's rate limit. */
  readonly stripeBudget?: true;
  /** Publishes billing events (EventPublisher): sends to the tenant-webhook queue. */
  readonly publishes?: true;
  /** Other queues it sends to. */
  readonly sends?: readonly QueueRef[];
  /** Seals or opens tenants' webhook signing secrets: reads the key that encrypts them. */
  readonly webhookSecrets?: true;
  /** Sends people to Stripe's hosted pages and back: knows the billing page's origins. */
  readonly redirects?: true;
  /** Creates and deletes machine credentials (Cognito app clients of the user pool). */
  readonly apiClients?: true;
  /** Serves the OpenAPI document: knows where machine credentials get their tokens. */
  readonly documentsApi?: true;
}

/** The variable names, one place; `src/platform/config.ts` reads them, the stack sets them. */
export const ENV = {
  tableName: 'TABLE_NAME',
  stripeSecretArn: 'STRIPE_SECRET_ARN',
  /** Requests per second this function's container may send to Stripe (with `stripeBudget`). */
  stripeMaxRequestsPerSecond: 'STRIPE_MAX_REQUESTS_PER_SECOND',
  webhookSecretsKeyArn: 'WEBHOOK_SECRETS_KEY_ARN',
  /** Comma-separated origins of the billing page: the only places Stripe's pages may send people back to. */
  webOrigins: 'WEB_ORIGINS',
  tenantClaim: 'TENANT_CLAIM',
  groupsClaim: 'GROUPS_CLAIM',
  adminGroup: 'ADMIN_GROUP',
  /** Who issues machine credentials: `cognito` (the stack's user pool), `local` (the local token endpoint), `none`. */
  apiClientIssuer: 'API_CLIENT_ISSUER',
  /** The user pool whose app clients are the machine credentials (with `cognito`). */
  apiClientUserPoolId: 'API_CLIENT_USER_POOL_ID',
  /** The Lambda authorizer (routes that take machine tokens): the user pool whose tokens it verifies... */
  userPoolId: 'USER_POOL_ID',
  /** ...and the app client a person's token must be issued to (the web page's). */
  webClientId: 'WEB_CLIENT_ID',
  /** The OAuth token endpoint machine credentials trade their secret at (the user pool domain's); empty when there is none. */
  oauthTokenUrl: 'OAUTH_TOKEN_URL',
  serviceName: 'POWERTOOLS_SERVICE_NAME',
  nodeOptions: 'NODE_OPTIONS',
} as const;

/** `USAGE_QUEUE_URL`, `OVERAGE_QUEUE_URL`, `WEBHOOKS_QUEUE_URL`. */
export const queueUrlVariable = (queue: QueueRef): `${Uppercase<QueueRef>}_QUEUE_URL` =>
  `${queue.toUpperCase() as Uppercase<QueueRef>}_QUEUE_URL`;

/** The queues a function sends to: its `sends`, plus the webhook queue when it publishes. */
export const queuesSentTo = (needs: FunctionNeeds): QueueRef[] => [
  ...new Set<QueueRef>([...(needs.sends ?? []), ...(needs.publishes ? (['webhooks'] as const) : [])]),
];

/** Every variable the stack sets for a function with these needs (besides the claim names, set for all). */
export const variablesFor = (needs: FunctionNeeds): string[] => [
  ENV.serviceName,
  ENV.nodeOptions,
  ENV.tenantClaim,
  ENV.groupsClaim,
  ENV.adminGroup,
  ...(needs.table === 'none' ? [] : [ENV.tableName]),
  ...(needs.stripe ? [ENV.stripeSecretArn] : []),
  ...(needs.stripeBudget ? [ENV.stripeMaxRequestsPerSecond] : []),
  ...(needs.webhookSecrets ? [ENV.webhookSecretsKeyArn] : []),
  ...(needs.redirects ? [ENV.webOrigins] : []),
  ...(needs.apiClients ? [ENV.apiClientIssuer, ENV.apiClientUserPoolId] : []),
  ...(needs.documentsApi ? [ENV.oauthTokenUrl] : []),
  ...queuesSentTo(needs).map(queueUrlVariable),
];
