import * as z from 'zod';
import { currentEnvironment, perEnvironment, type Environment } from './environment';

/**
 * Runtime configuration, read from the environment and validated once per container, one
 * section per concern so a function only needs the variables it uses. In AWS the stack sets
 * them; locally the runner does. Adapters get values from here, never from `process.env`.
 */
const authSchema = z.object({
  /** JWT claim carrying the tenant id (a Cognito custom attribute by default). */
  TENANT_CLAIM: z.string().min(1).default('custom:tenant_id'),
  /** JWT claim listing the caller's groups, and the group that makes an admin. */
  GROUPS_CLAIM: z.string().min(1).default('cognito:groups'),
  ADMIN_GROUP: z.string().min(1).default('billing-admin'),
});

const storeSchema = z.object({
  TABLE_NAME: z.string().min(1),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  /** Set only locally, to point the SDK at DynamoDB Local. */
  DYNAMODB_ENDPOINT: z.url().optional(),
});

const stripeSchema = z
  .object({
    /** Locally (and in tests) the keys come straight from the environment... */
    STRIPE_SECRET_KEY: z.string().regex(/^(sk|rk)_(test|live)_/, 'must be a Stripe secret key').optional(),
    STRIPE_WEBHOOK_SECRET: z.string().startsWith('whsec_').optional(),
    /** ...in AWS from a Secrets Manager secret `{"secret_key", "webhook_secret"}`. */
    STRIPE_SECRET_ARN: z.string().startsWith('arn:').optional(),
    /** The local Stripe endpoint, e.g. http://127.0.0.1:12111; unset means api.stripe.com. */
    STRIPE_API_BASE: z.url().optional(),
    /**
     * This container's share of the Stripe account's rate limit, in requests per second (set on
     * the overage workers: the account's limit over their concurrency); unset: not paced.
     */
    STRIPE_MAX_REQUESTS_PER_SECOND: z.coerce.number().positive().optional(),
  })
  .refine((c) => c.STRIPE_SECRET_ARN !== undefined || c.STRIPE_SECRET_KEY !== undefined, {
    message: 'set STRIPE_SECRET_KEY (local) or STRIPE_SECRET_ARN (AWS)',
    path: ['STRIPE_SECRET_KEY'],
  });

const queueSchema = z.object({
  /** Each function gets the URLs of the queues it sends to, and only those. */
  USAGE_QUEUE_URL: z.url().optional(),
  OVERAGE_QUEUE_URL: z.url().optional(),
  WEBHOOKS_QUEUE_URL: z.url().optional(),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  /** Set only locally, to point the SDK at the local SQS endpoint. */
  SQS_ENDPOINT: z.url().optional(),
});

const rateLimitSchema = z.object({
  /** Requests per tenant per minute on tenant routes (stage throttling guards the API as a whole). */
  RATE_LIMIT_REQUESTS_PER_MINUTE: z.coerce.number().int().positive().default(1_200),
  /** Usage records per tenant per second on POST /usage/track. */
  RATE_LIMIT_RECORDS_PER_SECOND: z.coerce.number().int().positive().default(10_000),
});

const webSchema = z.object({
  /** The billing page's origins, comma-separated: where Stripe's hosted pages may send people back. */
  WEB_ORIGINS: z
    .string()
    .min(1)
    .transform((v) => v.split(',').map((o) => o.trim()).filter((o) => o.length > 0))
    .pipe(z.array(z.url()).min(1)),
});

/** Machine credentials: who issues them (the stack or the local runner says), and how long a client mapping is remembered. */
const apiClientSchema = z
  .object({
    /** `cognito`: app clients of the stack's user pool; `local`: the local token endpoint; `none`: not offered (an external issuer). */
    API_CLIENT_ISSUER: z.enum(['cognito', 'local', 'none']).default('none'),
    API_CLIENT_USER_POOL_ID: z.string().min(1).optional(),
    AWS_REGION: z.string().min(1).default('us-east-1'),
  })
  .refine((c) => c.API_CLIENT_ISSUER !== 'cognito' || c.API_CLIENT_USER_POOL_ID !== undefined, {
    message: 'set API_CLIENT_USER_POOL_ID when API_CLIENT_ISSUER is cognito',
    path: ['API_CLIENT_USER_POOL_ID'],
  });

/** What the OpenAPI document says about the deployment. */
const documentSchema = z.object({
  /** Where machine credentials get their tokens; empty or unset: the document's relative `/oauth2/token`. */
  OAUTH_TOKEN_URL: z.union([z.literal(''), z.url(), z.string().startsWith('/')]).optional(),
});

const clientLookupSchema = z.object({
  /** How long a container trusts an active client mapping: a revoked client is refused everywhere within this. */
  API_CLIENT_CACHE_SECONDS: z.coerce.number().int().min(0).max(60).default(5),
});

export type AuthConfig = z.infer<typeof authSchema>;
export type StoreConfig = z.infer<typeof storeSchema>;
export type StripeConfig = z.infer<typeof stripeSchema>;
export type QueueConfig = z.infer<typeof queueSchema>;

/** Parses the environment; throws one clear error listing every bad variable. */
export const parseEnv = <S extends z.ZodType>(schema: S, env: Environment = currentEnvironment()): z.infer<S> => {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid configuration: ${problems}`);
  }
  return parsed.data;
};

/** A config section, parsed once per environment (once per container in Lambda). */
export const configSection = <S extends z.ZodType>(schema: S): (() => z.infer<S>) => perEnvironment((env) => parseEnv(schema, env));

export const authConfig = configSection(authSchema);
export const documentConfig = configSection(documentSchema);
export const storeConfig = configSection(storeSchema);
export const stripeConfig = configSection(stripeSchema);
export const queueConfig = configSection(queueSchema);
export const rateLimitConfig = configSection(rateLimitSchema);
export const webConfig = configSection(webSchema);
export const apiClientConfig = configSection(apiClientSchema);
export const clientLookupConfig = configSection(clientLookupSchema);
