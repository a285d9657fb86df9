import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import * as z from 'zod';
import { stripeConfig } from '../platform/config';
import type { CardCollection } from '../app/ports/cards';
import type { PaymentProvider } from '../app/ports/payments';
import { createStripeClient } from '../adapters/stripe/client';
import { StripeAdapter } from '../adapters/stripe/stripe-adapter';
import { root } from './root';

const secretShape = z.object({ secret_key: z.string().min(1), webhook_secret: z.string().startsWith('whsec_') });

/** Stripe keys from the environment (local) or Secrets Manager (AWS), read once per container. */
const stripeKeys = async (): Promise<{ secretKey: string; webhookSecret: string; apiBase?: string }> => {
  const cfg = stripeConfig();
  if (cfg.STRIPE_SECRET_KEY) {
    if (!cfg.STRIPE_WEBHOOK_SECRET) throw new Error('invalid configuration: STRIPE_WEBHOOK_SECRET is required with STRIPE_SECRET_KEY');
    return {
      secretKey: cfg.STRIPE_SECRET_KEY,
      webhookSecret: cfg.STRIPE_WEBHOOK_SECRET,
      ...(cfg.STRIPE_API_BASE ? { apiBase: cfg.STRIPE_API_BASE } : {}),
    };
  }
  const raw = await getSecret(cfg.STRIPE_SECRET_ARN ?? '', { transform: 'json', maxAge: 300 });
  const secret = secretShape.parse(raw);
  return { secretKey: secret.secret_key, webhookSecret: secret.webhook_secret };
};

const stripeAdapter = (): Promise<StripeAdapter> =>
  root().sharedRetried('payments', async () => {
    const keys = await stripeKeys();
    const budget = stripeConfig().STRIPE_MAX_REQUESTS_PER_SECOND;
    return new StripeAdapter(keys, createStripeClient({ ...keys, ...(budget === undefined ? {} : { maxRequestsPerSecond: budget }) }));
  });

/** This container's payment provider: Stripe, with this function's keys. */
export const paymentProvider = (): Promise<PaymentProvider> => stripeAdapter();

/** Card collection through Stripe's hosted pages (the same adapter). */
export const cardCollection = (): Promise<CardCollection> => stripeAdapter();
