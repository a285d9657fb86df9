import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/local-api';

/** Cards are collected by Stripe's hosted pages (SPEC section 4); these routes open them and list the result. */
let api: TestApi;
let origin: string;
beforeAll(async () => {
  api = await startTestApi({ start: new Date('2027-06-01T00:00:00Z') });
  origin = api.stack.apiUrl.replace('//127.0.0.1:', '//localhost:');
});
afterAll(async () => api.stack.stop());

interface Listed {
  payment_methods: { id: string; brand: string; last4: string; exp_month: number; exp_year: number; default: boolean }[];
  default_payment_method: string | null;
}

const list = async (token: string): Promise<Listed> => (await (await api.call('/payment-methods', { token })).json()) as Listed;

/** Picks a test card on the local Checkout page, as a person would; returns where Stripe sends them. */
const pickCard = async (url: string, paymentMethod: string): Promise<string | null> => {
  const res = await fetch(url, { method: 'POST', body: `payment_method=${paymentMethod}`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, redirect: 'manual' });
  return res.headers.get('location');
};

describe('cards through Stripe Checkout', () => {
  it('opens a setup-mode Checkout Session for the tenant; the card picked there is listed', async () => {
    const token = await api.token({ tenantId: 'org-card' });
    expect(await list(token)).toEqual({ payment_methods: [], default_payment_method: null });

    const res = await api.call('/payment-methods/setup', { method: 'POST', token, json: { success_url: `${origin}/?card=added&session={CHECKOUT_SESSION_ID}` } });
    expect(res.status).toBe(200);
    const session = (await res.json()) as { id: string; url: string };
    expect(session.id).toMatch(/^cs_/);
    const page = await (await fetch(session.url)).text();
    expect(page).toContain('4242');

    expect(await pickCard(session.url, 'pm_card_visa')).toBe(`${origin}/?card=added&session=${session.id}`);
    await api.stack.settle();
    const listed = await list(token);
    expect(listed.payment_methods).toEqual([expect.objectContaining({ brand: 'visa', last4: '4242', exp_month: 12 })]);
    const stripeSession = await api.stripe.checkout.sessions.retrieve(session.id);
    const customer = await api.stripe.customers.retrieve(typeof stripeSession.customer === 'string' ? stripeSession.customer : '');
    expect('deleted' in customer ? null : customer.metadata.tenant_id).toBe('org-card');
  });

  it("sends people back to the page's own origin by default", async () => {
    const token = await api.token({ tenantId: 'org-default-urls' });
    const session = (await (await api.call('/payment-methods/setup', { method: 'POST', token, json: {} })).json()) as { id: string; url: string };
    const stripeSession = await api.stripe.checkout.sessions.retrieve(session.id);
    expect(stripeSession.success_url).toBe(`${origin}/?card=added`);
    expect(stripeSession.cancel_url).toBe(`${origin}/`);
  });

  it.each([
    ['success_url', { success_url: 'https://evil.example/phish' }],
    ['cancel_url', { cancel_url: 'http://localhost:1/elsewhere' }],
    ['success_url', { success_url: 'javascript:alert(1)' }],
  ])('refuses a redirect off the page origin, naming %s', async (field, body) => {
    const token = await api.token({ tenantId: 'org-redirects' });
    const res = await api.call('/payment-methods/setup', { method: 'POST', token, json: body });
    expect(res.status).toBe(400);
    const error = ((await res.json()) as { error: { details: { field: string }[] } }).error;
    expect(error.details.map((d) => d.field)).toContain(field);
  });

  it('opens the billing portal, which returns to the page; a foreign return_url is refused', async () => {
    const token = await api.token({ tenantId: 'org-portal' });
    const res = await api.call('/billing-portal', { method: 'POST', token, json: { return_url: `${origin}/#billing` } });
    expect(res.status).toBe(200);
    const { url } = (await res.json()) as { url: string };
    expect(await (await fetch(url)).text()).toContain(`${origin}/#billing`);

    const foreign = await api.call('/billing-portal', { method: 'POST', token, json: { return_url: 'https://evil.example/' } });
    expect(foreign.status).toBe(400);
  });

  it("shows a tenant only its own cards", async () => {
    const owner = await api.token({ tenantId: 'org-owner' });
    const other = await api.token({ tenantId: 'org-other' });
    const session = (await (await api.call('/payment-methods/setup', { method: 'POST', token: owner, json: {} })).json()) as { url: string };
    await pickCard(session.url, 'pm_card_visa');
    await api.stack.settle();
    expect((await list(owner)).payment_methods.map((p) => p.last4)).toEqual(['4242']);
    expect(await list(other)).toEqual({ payment_methods: [], default_payment_method: null });
  });

  it('needs a tenant token', async () => {
    expect((await api.call('/payment-methods')).status).toBe(401);
    expect((await api.call('/payment-methods/setup', { method: 'POST', json: {} })).status).toBe(401);
  });
});

describe('a card set up through Checkout becomes the one Stripe charges', () => {
  const current = async (token: string) =>
    ((await (await api.call('/subscriptions/current', { token })).json()) as { subscription: { status: string; current_period_end: string; trial_end: string | null } }).subscription;

  it('a trial without a card gets one before it ends; the first invoice is paid with it', async () => {
    const { token } = await api.subscribe('org-trial-card', { trial_days: 7, payment_method: undefined });
    expect(await list(token)).toEqual({ payment_methods: [], default_payment_method: null });

    const session = (await (await api.call('/payment-methods/setup', { method: 'POST', token, json: {} })).json()) as { url: string };
    await pickCard(session.url, 'pm_card_visa');
    await api.stack.settle();

    const listed = await list(token);
    expect(listed.payment_methods).toEqual([expect.objectContaining({ last4: '4242', default: true })]);
    expect(listed.default_payment_method).toBe(listed.payment_methods[0]?.id);
    const events = (await (await api.call('/events', { token })).json()) as { events: { type: string; data: { payment_method?: { last4: string } } }[] };
    expect(events.events.filter((e) => e.type === 'payment_method.updated').map((e) => e.data.payment_method?.last4)).toEqual(['4242']);

    const trialEnd = (await current(token)).trial_end ?? '';
    await api.advanceTo(new Date(Date.parse(trialEnd) + 2 * 3_600_000));
    expect((await current(token)).status).toBe('active');
    const invoices = ((await (await api.call('/invoices', { token })).json()) as { invoices: { status: string; total: number }[] }).invoices;
    expect(invoices.find((i) => i.total > 0)).toMatchObject({ status: 'paid' });
  });

  it('a past-due tenant who sets up a new card has the open invoice paid at once', async () => {
    const { token } = await api.subscribe('org-past-due', { trial_days: 3, payment_method: 'pm_card_chargeCustomerFail' });
    const trialEnd = (await current(token)).trial_end ?? '';
    await api.advanceTo(new Date(Date.parse(trialEnd) + 2 * 3_600_000));
    expect((await current(token)).status).toBe('past_due');

    const session = (await (await api.call('/payment-methods/setup', { method: 'POST', token, json: {} })).json()) as { url: string };
    await pickCard(session.url, 'pm_card_visa');
    await api.stack.settle();

    expect((await current(token)).status).toBe('active');
    const invoices = ((await (await api.call('/invoices', { token })).json()) as { invoices: { status: string; total: number }[] }).invoices;
    expect(invoices.filter((i) => i.total > 0).map((i) => i.status)).toEqual(['paid']);
  });

  it('a trial that ends without a card ends the subscription, charging nothing', async () => {
    const { token } = await api.subscribe('org-no-card', { trial_days: 5, payment_method: undefined });
    const trialEnd = (await current(token)).trial_end ?? '';
    await api.advanceTo(new Date(Date.parse(trialEnd) - 3 * 86_400_000 + 60_000));
    const events = (await (await api.call('/events', { token })).json()) as { events: { type: string }[] };
    expect(events.events.map((e) => e.type)).toContain('stripe.customer.subscription.trial_will_end');

    await api.advanceTo(new Date(Date.parse(trialEnd) + 3_600_000));
    expect((await current(token)).status).toBe('canceled');
    const invoices = ((await (await api.call('/invoices', { token })).json()) as { invoices: { total: number; amount_paid: number }[] }).invoices;
    expect(invoices.every((i) => i.amount_paid === 0)).toBe(true);
  });
});

describe('3-D Secure', () => {
  const current = async (token: string) =>
    ((await (await api.call('/subscriptions/current', { token })).json()) as { subscription: { status: string; trial_end: string | null } }).subscription;

  it('a renewal that needs confirming waits, the tenant is told where, and confirming on the hosted invoice page pays it', async () => {
    const { token } = await api.subscribe('org-3ds', { trial_days: 3, payment_method: 'pm_card_authenticationRequired' });
    const trialEnd = (await current(token)).trial_end ?? '';
    await api.advanceTo(new Date(Date.parse(trialEnd) + 2 * 3_600_000));

    expect((await current(token)).status).toBe('past_due');
    const events = (await (await api.call('/events', { token })).json()) as { events: { type: string; data: { hosted_invoice_url?: string; object_id?: string } }[] };
    const required = events.events.find((e) => e.type === 'stripe.invoice.payment_action_required');
    expect(required?.data.hosted_invoice_url).toMatch(/^http/);

    // The tenant opens the hosted invoice page and completes authentication there.
    const hosted = await (await fetch(required?.data.hosted_invoice_url ?? '')).text();
    const authUrl = /href="([^"]*\/authenticate\/[^"]+)"/.exec(hosted)?.[1] ?? '';
    expect(authUrl).not.toBe('');
    await fetch(authUrl, { method: 'POST', body: 'result=complete', headers: { 'content-type': 'application/x-www-form-urlencoded' }, redirect: 'manual' });
    await api.stack.settle();

    expect((await current(token)).status).toBe('active');
    const invoice = (await (await api.call(`/invoices/${required?.data.object_id ?? ''}`, { token })).json()) as { invoice: { status: string } };
    expect(invoice.invoice.status).toBe('paid');
  });

  it('a first payment never confirmed ends the subscription incomplete_expired after 23 hours', async () => {
    const token = await api.token({ tenantId: 'org-3ds-never' });
    const res = await api.call('/subscriptions/create', { method: 'POST', token, json: { address: { country: 'US', postal_code: '94107' }, plan_id: 'starter', billing_cycle: 'monthly', trial_days: 0, payment_method: 'pm_card_authenticationRequired' } });
    expect(res.status).toBe(201);
    await api.stack.settle();
    expect((await current(token)).status).toBe('incomplete');

    const now = api.stack.clock.now().getTime();
    await api.advanceTo(new Date(now + 22 * 3_600_000));
    expect((await current(token)).status).toBe('incomplete');
    await api.advanceTo(new Date(now + 23 * 3_600_000 + 60_000));
    expect((await current(token)).status).toBe('incomplete_expired');
  });
});
