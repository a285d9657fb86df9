import { stripeWebhookApi } from '../../src/api/stripe-webhook';
import { stripeEventProcessor } from '../../src/composition/billing';
import { paymentProvider } from '../../src/composition/payments';
import { apiHandler } from '../../src/composition/http';
import { clock } from '../../src/platform/clock';
import { operation } from '../../src/http/api';
import { logger } from '../../src/platform/logger';

/**
 * Stripe's webhook: no JWT; the signature over the raw body is the authentication (400 when
 * it does not verify or is older than 5 minutes). Duplicates answer 200 without acting again.
 */
export const receiveStripeEvent = operation(stripeWebhookApi.receiveStripeEvent, async ({ event, headers }) => {
  const raw = event.body === undefined ? '' : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  const now = clock().now();
  const parsed = (await paymentProvider()).parseWebhook(raw, headers['stripe-signature'], now);
  const outcome = await (await stripeEventProcessor()).process(parsed, now);
  logger.info('stripe event', { event_id: parsed.id, type: parsed.type, outcome });
  return { status: 200, body: { received: true, outcome } };
});

export const handler = apiHandler('stripe-webhook', { receiveStripeEvent });
