import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { WebhookRepository } from '../adapters/dynamodb/webhooks';
import { SqsRetryControl } from '../adapters/sqs/retry-queue';
import { sendWebhook } from '../adapters/webhooks/http-sender';
import { systemResolver, vetTarget, type Resolver } from '../adapters/webhooks/target-guard';
import type { VettedTarget } from '../app/ports/webhook-delivery';
import { WebhookDispatcher } from '../app/webhooks/dispatcher';
import { MAX_ENDPOINTS_PER_TENANT, WebhookEndpoints } from '../app/webhooks/endpoints';
import { SecretBox } from '../app/webhooks/secret-box';
import { DEFAULT_RETRY_POLICY } from '../domain/webhooks/backoff';
import { liveClock } from '../platform/clock';
import { count, METRIC } from '../platform/metrics';
import { webhookDeliveryConfig, webhookKeyConfig } from '../platform/webhooks-config';
import { root } from './root';

let resolver: Resolver = systemResolver;

/** Tests only: answer DNS from a table (e.g. a name that turns private after configuration). */
export const useWebhookResolver = (next: Resolver): void => {
  resolver = next;
};

/** The SSRF guard with this container's policy; the resolver is looked up per call. */
const vetWebhookTarget = (url: string): Promise<VettedTarget> =>
  vetTarget(url, { allowLoopback: webhookDeliveryConfig().WEBHOOK_ALLOW_LOCAL_TARGETS }, (host) => resolver(host));

/** The key that seals signing secrets: from the environment locally, from Secrets Manager in AWS. */
const secretBox = (): Promise<SecretBox> =>
  root().sharedRetried('secretBox', async () => {
    const cfg = webhookKeyConfig();
    if (cfg.WEBHOOK_SECRETS_KEY) return SecretBox.fromKeyMaterial(cfg.WEBHOOK_SECRETS_KEY);
    const material = await getSecret(cfg.WEBHOOK_SECRETS_KEY_ARN ?? '', { maxAge: 3600 });
    if (typeof material !== 'string') throw new Error('invalid configuration: the webhook secrets key secret holds no string');
    return SecretBox.fromKeyMaterial(material);
  });

const webhookRepository = (): WebhookRepository =>
  root().shared('webhookRepository', () => new WebhookRepository(root().table(), { endpointLimit: MAX_ENDPOINTS_PER_TENANT }));

/** The tenant-facing webhook use cases. */
export const webhookEndpoints = (): WebhookEndpoints =>
  root().shared('webhookEndpoints', () => new WebhookEndpoints({ repository: webhookRepository(), secretBox, vet: vetWebhookTarget, clock: liveClock }));

/** The webhook queue's consumer. */
export const webhookDispatcher = (): WebhookDispatcher =>
  root().shared('webhookDispatcher', () => {
    const delivery = webhookDeliveryConfig();
    return new WebhookDispatcher({
      repository: webhookRepository(),
      queue: root().queue('webhooks'),
      retries: new SqsRetryControl(root().sqs(), root().queueUrl('webhooks')),
      secretBox,
      vet: vetWebhookTarget,
      send: sendWebhook,
      policy: { ...DEFAULT_RETRY_POLICY, baseSeconds: delivery.WEBHOOK_RETRY_BASE_SECONDS, maxSeconds: delivery.WEBHOOK_RETRY_MAX_SECONDS },
      timeoutMs: delivery.WEBHOOK_TIMEOUT_MS,
      clock: liveClock,
      onAttempt: (attempt) => {
        if (attempt.status !== 'succeeded') count(METRIC.webhookDeliveryFailures);
      },
    });
  });
