import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { SQSClient } from '@aws-sdk/client-sqs';
import { clock } from '../platform/clock';
import { count, METRIC } from '../platform/metrics';
import { queueConfig } from '../platform/config';
import { webhookQueue } from '../adapters/sqs/sqs-queue';
import { table } from '../adapters/dynamodb/client';
import { WebhookRepository } from '../adapters/dynamodb/webhooks';
import { webhookDeliveryConfig, webhookKeyConfig } from '../adapters/webhooks/config';
import { WebhookDispatcher } from '../app/webhooks/dispatcher';
import { MAX_ENDPOINTS_PER_TENANT, WebhookEndpoints } from '../app/webhooks/endpoints';
import { sendWebhook } from '../adapters/webhooks/http-sender';
import { SqsRetryControl } from '../adapters/sqs/retry-queue';
import { SecretBox } from '../app/webhooks/secret-box';
import { systemResolver, vetTarget, type Resolver, type VettedTarget } from '../adapters/webhooks/target-guard';
import { DEFAULT_RETRY_POLICY } from '../domain/webhooks/backoff';

/** The clock is looked up per call, so the local stack's simulated clock is always used. */
const currentClock = { now: () => clock().now() };

let resolver: Resolver = systemResolver;

/** Tests only: answer DNS from a table (e.g. a name that turns private after configuration). */
export const useWebhookResolver = (next: Resolver): void => {
  resolver = next;
};

/** The SSRF guard with this container's policy; the resolver is looked up per call. */
export const vetWebhookTarget = (url: string): Promise<VettedTarget> =>
  vetTarget(url, { allowLoopback: webhookDeliveryConfig().WEBHOOK_ALLOW_LOCAL_TARGETS }, (host) => resolver(host));

let box: Promise<SecretBox> | undefined;

/** The key that seals signing secrets: from the environment locally, from Secrets Manager in AWS. */
const secretBox = (): Promise<SecretBox> =>
  (box ??= (async () => {
    const cfg = webhookKeyConfig();
    if (cfg.WEBHOOK_SECRETS_KEY) return SecretBox.fromKeyMaterial(cfg.WEBHOOK_SECRETS_KEY);
    const material = await getSecret(cfg.WEBHOOK_SECRETS_KEY_ARN ?? '', { maxAge: 3600 });
    if (typeof material !== 'string') throw new Error('invalid configuration: the webhook secrets key secret holds no string');
    return SecretBox.fromKeyMaterial(material);
  })().catch((error: unknown) => {
    box = undefined;
    throw error;
  }));

const repository = () => new WebhookRepository(table(), { endpointLimit: MAX_ENDPOINTS_PER_TENANT });

let endpoints: WebhookEndpoints | undefined;
let dispatcher: WebhookDispatcher | undefined;

/** The tenant-facing webhook use cases, once per container. */
export const webhookEndpoints = (): WebhookEndpoints =>
  (endpoints ??= new WebhookEndpoints({ repository: repository(), secretBox, vet: vetWebhookTarget, clock: currentClock }));

/** The webhook queue's consumer, once per container. */
export const webhookDispatcher = (): WebhookDispatcher => {
  if (dispatcher) return dispatcher;
  const queue = webhookQueue();
  const url = queueConfig().WEBHOOKS_QUEUE_URL;
  if (!queue || !url) throw new Error('invalid configuration: WEBHOOKS_QUEUE_URL is not set for the webhook dispatcher');
  const cfg = queueConfig();
  const delivery = webhookDeliveryConfig();
  dispatcher = new WebhookDispatcher({
    repository: repository(),
    queue,
    retries: new SqsRetryControl(new SQSClient({ region: cfg.AWS_REGION, ...(cfg.SQS_ENDPOINT ? { endpoint: cfg.SQS_ENDPOINT } : {}) }), url),
    secretBox,
    vet: vetWebhookTarget,
    send: sendWebhook,
    policy: { ...DEFAULT_RETRY_POLICY, baseSeconds: delivery.WEBHOOK_RETRY_BASE_SECONDS, maxSeconds: delivery.WEBHOOK_RETRY_MAX_SECONDS },
    timeoutMs: delivery.WEBHOOK_TIMEOUT_MS,
    clock: currentClock,
    onAttempt: (attempt) => {
      if (attempt.status !== 'succeeded') count(METRIC.webhookDeliveryFailures);
    },
  });
  return dispatcher;
};
