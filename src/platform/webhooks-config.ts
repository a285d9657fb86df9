import * as z from 'zod';
import { configSection } from './config';

const flag = z.enum(['true', 'false']).default('false').transform((v) => v === 'true');

const keySchema = z
  .object({
    /** Locally: the key material itself (the local stack generates it under `.data/keys/`)... */
    WEBHOOK_SECRETS_KEY: z.string().min(32).optional(),
    /** ...in AWS: the Secrets Manager secret holding it. */
    WEBHOOK_SECRETS_KEY_ARN: z.string().startsWith('arn:').optional(),
  })
  .refine((c) => c.WEBHOOK_SECRETS_KEY !== undefined || c.WEBHOOK_SECRETS_KEY_ARN !== undefined, {
    message: 'set WEBHOOK_SECRETS_KEY (local) or WEBHOOK_SECRETS_KEY_ARN (AWS)',
    path: ['WEBHOOK_SECRETS_KEY'],
  });

const deliverySchema = z
  .object({
    /** Local development only: lets http://localhost receivers (and only loopback) through. */
    WEBHOOK_ALLOW_LOCAL_TARGETS: flag,
    /** Set by Lambda; its presence means we are not in the local stack. */
    AWS_LAMBDA_FUNCTION_NAME: z.string().optional(),
    /** The first retry's wait; tests use 1 s. */
    WEBHOOK_RETRY_BASE_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
    WEBHOOK_RETRY_MAX_SECONDS: z.coerce.number().int().min(1).max(39_600).default(10_800),
    /** One delivery attempt, connect to response headers. */
    WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(15_000).default(5_000),
  })
  .refine((c) => !(c.WEBHOOK_ALLOW_LOCAL_TARGETS && c.AWS_LAMBDA_FUNCTION_NAME !== undefined), {
    message: 'is for the local stack only and may not be set on a Lambda function',
    path: ['WEBHOOK_ALLOW_LOCAL_TARGETS'],
  });

export type WebhookKeyConfig = z.infer<typeof keySchema>;
export type WebhookDeliveryConfig = z.infer<typeof deliverySchema>;

/** Where the key that encrypts signing secrets comes from; read and validated once. */
export const webhookKeyConfig: () => WebhookKeyConfig = configSection(keySchema);

/** Target policy, retry timing and timeout of deliveries; read and validated once. */
export const webhookDeliveryConfig: () => WebhookDeliveryConfig = configSection(deliverySchema);
