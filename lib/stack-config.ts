import type { Construct } from 'constructs';
import * as z from 'zod';
import { schedules } from '../contracts/queues';

/**
 * Deployment settings, read once from CDK context (`cdk.json` or `cdk synth -c key=value`) and
 * validated here so a typo fails synthesis with one clear message instead of deploying a
 * half-configured API. Values given with `-c` arrive as strings, hence the coercion.
 */
const list = z
  .union([z.string(), z.array(z.string())])
  .transform((value) => (Array.isArray(value) ? value : value.split(',')).map((s) => s.trim()).filter((s) => s.length > 0));

const origin = z.string().regex(/^https?:\/\/[^/\s]+$/, 'must be an origin such as https://app.example.com');

const contextSchema = z
  .object({
    /** External OIDC issuer; when set (with an audience) the stack creates no Cognito user pool. */
    oidcIssuer: z.url({ protocol: /^https$/ }).optional(),
    oidcAudience: list.pipe(z.array(z.string()).min(1)).optional(),
    /** Claim names an external issuer uses; Cognito's are fixed by the user pool the stack builds. */
    tenantClaim: z.string().min(1).optional(),
    groupsClaim: z.string().min(1).optional(),
    adminGroup: z.string().min(1).optional(),
    throttleRateLimit: z.coerce.number().positive().default(100),
    throttleBurstLimit: z.coerce.number().int().positive().default(200),
    corsOrigins: list.pipe(z.array(origin)).default([]),
    /** When the overage planner runs (EventBridge schedule expression). */
    overageSchedule: z
      .string()
      .regex(/^(rate|cron)\(.+\)$/, 'an EventBridge schedule expression such as rate(1 hour)')
      .default(schedules.overagePlanner.expression),
    /** Overage workers at once; they share the Stripe budget below. */
    overageWorkerConcurrency: z.coerce.number().int().min(1).max(50).default(5),
    /**
     * The Stripe account's rate limit in requests per second (about 100 live, 25 in test mode):
     * the overage workers' budget, split evenly between them (each container paces itself).
     */
    stripeRequestsPerSecond: z.coerce.number().positive().max(10_000).default(100),
    /** Where Cognito's hosted sign-in may send the authorization code (auth code + PKCE). */
    authCallbackUrls: list.pipe(z.array(z.url()).min(1)).default(['http://localhost:3000/auth/callback']),
    /** Prefix of the Cognito hosted sign-in domain; globally unique per region, so no default. */
    cognitoDomainPrefix: z
      .string()
      .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'lowercase letters, digits and hyphens')
      .optional(),
    /** Subscribed by e-mail to the alarm topic (AWS asks it to confirm); none leaves the topic to other integrations. */
    alarmEmail: z.email().optional(),
    /** The billing page on a domain of your own, with its ACM certificate, which CloudFront needs in us-east-1. */
    webDomainName: z
      .string()
      .regex(/^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'a lowercase host name such as billing.example.com')
      .optional(),
    webCertificateArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/[0-9a-f-]+$/, 'an ACM certificate ARN in us-east-1 (CloudFront takes certificates from there only)')
      .optional(),
  })
  .superRefine((ctx, issues) => {
    if ((ctx.oidcIssuer === undefined) !== (ctx.oidcAudience === undefined)) {
      issues.addIssue({ code: 'custom', path: ['oidcAudience'], message: 'oidcIssuer and oidcAudience go together' });
    }
    const claimOverrides = [ctx.tenantClaim, ctx.groupsClaim, ctx.adminGroup].some((v) => v !== undefined);
    if (claimOverrides && ctx.oidcIssuer === undefined) {
      issues.addIssue({
        code: 'custom',
        path: ['tenantClaim'],
        message: 'tenantClaim, groupsClaim and adminGroup apply only to an external OIDC issuer',
      });
    }
    if ((ctx.webDomainName === undefined) !== (ctx.webCertificateArn === undefined)) {
      issues.addIssue({ code: 'custom', path: ['webCertificateArn'], message: 'webDomainName and webCertificateArn go together' });
    }
    if (ctx.throttleBurstLimit < ctx.throttleRateLimit) {
      issues.addIssue({ code: 'custom', path: ['throttleBurstLimit'], message: 'must be at least throttleRateLimit' });
    }
  });

export type StackConfig = z.infer<typeof contextSchema>;

const contextKeys = contextSchema.keyof().options;

/** Reads and validates the stack's context; throws one error listing every bad value. */
export const readStackConfig = (scope: Construct): StackConfig => {
  const raw = Object.fromEntries(contextKeys.map((key) => [key, scope.node.tryGetContext(key)]));
  const parsed = contextSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid CDK context: ${problems}`);
  }
  return parsed.data;
};

/**
 * Requests per second one overage worker container may send to Stripe: the account's limit
 * split evenly over the workers that may run at once (floored to a tenth), so together they stay under it.
 * @example stripeBudgetPerWorker({ stripeRequestsPerSecond: 100, overageWorkerConcurrency: 5 }) // 20
 */
export const stripeBudgetPerWorker = (config: Pick<StackConfig, 'stripeRequestsPerSecond' | 'overageWorkerConcurrency'>): number =>
  Math.floor((config.stripeRequestsPerSecond / config.overageWorkerConcurrency) * 10) / 10;
