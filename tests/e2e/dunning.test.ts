import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BillingEventsRepository } from '../../src/adapters/dynamodb/billing-events';
import { createTableRef } from '../../src/adapters/dynamodb/client';
import { startTestApi, type TestApi } from '../support/local-api';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ start: new Date('2027-05-01T00:00:00Z') });
});
afterAll(async () => api.stack.stop());

const trail = (tenantId: string, type: string) =>
  new BillingEventsRepository(
    createTableRef({ TABLE_NAME: api.stack.tableName, AWS_REGION: 'us-east-1', DYNAMODB_ENDPOINT: api.stack.dynamoEndpoint }),
  ).list(tenantId, { limit: 100, type });

const current = async (token: string) =>
  ((await (await api.call('/subscriptions/current', { token })).json()) as { subscription: { status: string } }).subscription;

const subscribeWithFailingCard = async (tenantId: string) => {
  const token = await api.token({ tenantId });
  const res = await api.call('/subscriptions/create', {
    method: 'POST',
    token,
    json: { address: { country: 'US', postal_code: '94107' }, plan_id: 'professional', billing_cycle: 'monthly', trial_days: 7, payment_method: 'pm_card_chargeCustomerFail' },
  });
  expect(res.status).toBe(201);
  return token;
};

describe('failed payments', () => {
  it('goes past_due on the first failure, records every attempt, and ends canceled after the last retry', async () => {
    const token = await subscribeWithFailingCard('org-declined');
    await api.advanceTo('2027-05-08T01:00:00Z');
    expect((await current(token)).status).toBe('past_due');
    const invoices = ((await (await api.call('/invoices', { token })).json()) as { invoices: { status: string; total: number; amount_paid: number }[] }).invoices;
    expect(invoices.find((i) => i.total === 29_900)).toMatchObject({ status: 'open', amount_paid: 0 });

    await api.advanceTo('2027-06-05T00:00:00Z');
    expect((await current(token)).status).toBe('canceled');
    const failures = await trail('org-declined', 'stripe.invoice.payment_failed');
    expect(failures.items.length).toBeGreaterThanOrEqual(2);
  });

  it('recovers to active when the customer fixes the card before the retries run out', async () => {
    const token = await subscribeWithFailingCard('org-recovers');
    await api.advanceTo('2027-06-13T01:00:00Z');
    expect((await current(token)).status).toBe('past_due');
    // The customer updates the card (as on Stripe's hosted invoice page); the next retry succeeds.
    const customer = (await api.stripe.customers.list({ limit: 100 })).data.find((c) => c.metadata.tenant_id === 'org-recovers');
    const pm = await api.stripe.paymentMethods.attach('pm_card_visa', { customer: customer?.id ?? '' });
    await api.stripe.customers.update(customer?.id ?? '', { invoice_settings: { default_payment_method: pm.id } });
    await api.advanceTo('2027-06-25T00:00:00Z');
    expect((await current(token)).status).toBe('active');
    const invoices = ((await (await api.call('/invoices', { token })).json()) as { invoices: { status: string; total: number }[] }).invoices;
    expect(invoices.find((i) => i.total === 29_900)?.status).toBe('paid');
  });
});
