import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BillingEventsRepository } from '../../functions/shared/store/billing-events';
import { createTableRef } from '../../functions/shared/store/client';
import { startTestApi, type TestApi } from '../support/local-api';

let api: TestApi;
let secret: string;
beforeAll(async () => {
  api = await startTestApi({ start: new Date('2027-03-01T00:00:00Z') });
  secret = process.env.STRIPE_WEBHOOK_SECRET ?? '';
});
afterAll(async () => api.stack.stop());

const nowSeconds = () => Math.floor(api.stack.clock.now().getTime() / 1000);

const post = (payload: string, signature?: string) =>
  api.call('/webhooks/stripe', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(signature ? { 'stripe-signature': signature } : {}) },
    body: payload,
  });

const signed = (payload: string, timestamp = nowSeconds()) =>
  api.stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp });

const events = () =>
  new BillingEventsRepository(
    createTableRef({ TABLE_NAME: api.stack.tableName, AWS_REGION: 'us-east-1', DYNAMODB_ENDPOINT: api.stack.dynamoEndpoint }),
  );

describe('POST /webhooks/stripe', () => {
  it('answers 400 when the signature is missing, wrong or stale', async () => {
    const payload = JSON.stringify({ id: 'evt_forged', object: 'event', type: 'invoice.paid', data: { object: { id: 'in_x', object: 'invoice' } } });
    expect((await post(payload)).status).toBe(400);
    expect((await post(payload, `t=${nowSeconds()},v1=${'0'.repeat(64)}`)).status).toBe(400);
    expect((await post(payload, signed(payload, nowSeconds() - 600))).status).toBe(400);
    const otherSecret = api.stripe.webhooks.generateTestHeaderString({ payload, secret: 'whsec_not_ours', timestamp: nowSeconds() });
    expect((await post(payload, otherSecret)).status).toBe(400);
  });

  it('processes each event id once, however often it arrives', async () => {
    const { subscription } = await api.subscribe('org-dup');
    const [event] = (await api.stripe.events.list({ type: 'customer.subscription.created', limit: 100 })).data.filter(
      (e) => (e.data.object as { id: string }).id === subscription.id,
    );
    expect(event).toBeDefined();
    const payload = JSON.stringify(event);
    const again = await post(payload, signed(payload));
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ received: true, outcome: 'duplicate' });
    const trail = await events().list('org-dup', { limit: 100, type: 'stripe.customer.subscription.created' });
    expect(trail.items).toHaveLength(1);
  });

  it('ends in Stripe\'s current state when events arrive in reverse order', async () => {
    const { token, subscription } = await api.subscribe('org-reverse');
    await api.call('/subscriptions/update', { method: 'POST', token, json: { plan_id: 'business' } });
    await api.call('/subscriptions/cancel', { method: 'POST', token, json: {} });
    await api.stack.settle();
    const mine = (await api.stripe.events.list({ limit: 100 })).data.filter((e) => {
      const object = e.data.object as { id?: string; object?: string };
      return object.object === 'subscription' && object.id === subscription.id;
    });
    expect(mine.length).toBeGreaterThanOrEqual(3);
    // Replay them as new deliveries, newest first (as if Stripe had sent them out of order).
    for (const [i, e] of [...mine].sort((a, b) => a.created - b.created).reverse().entries()) {
      const payload = JSON.stringify({ ...e, id: `evt_reversed_${i}` });
      const res = await post(payload, signed(payload));
      expect(res.status).toBe(200);
    }
    const current = (await (await api.call('/subscriptions/current', { token })).json()) as {
      subscription: { plan_id: string; cancel_at_period_end: boolean; status: string };
    };
    const truth = await api.stripe.subscriptions.retrieve(subscription.id);
    expect(current.subscription).toMatchObject({ plan_id: 'business', cancel_at_period_end: truth.cancel_at_period_end, status: truth.status });
    expect(truth.cancel_at_period_end).toBe(true);
  });
});
