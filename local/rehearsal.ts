import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { StripeAdapter } from '../src/adapters/stripe/stripe-adapter';
import type { PriceTarget, ProviderInvoice } from '../src/app/ports/payments';
import { addressIn } from '../src/domain/billing-details';
import { findPlan, planPrice } from '../src/domain/catalog';

/**
 * The billing flows run against a Stripe account as the deployed functions would run them (the
 * production `StripeAdapter`), each tenant on a test clock of its own: subscribe, upgrade now
 * with a preview, downgrade at period end, a failed renewal and its recovery, and an overage
 * item on a renewal. Against Stripe test mode (`STRIPE_SECRET_KEY=sk_test_...`) or the local
 * endpoint; each step prints what it did and checks what Stripe answered against what SPEC
 * says (catalog prices, the previewed proration, statuses), failing loudly on a difference.
 */
export interface RehearsalOptions {
  readonly secretKey: string;
  /** The local Stripe endpoint; unset for api.stripe.com. */
  readonly apiBase?: string;
  readonly log?: (line: string) => void;
}

export interface RehearsalResult {
  readonly steps: readonly string[];
  readonly testClocks: readonly string[];
}

const DAY = 86_400;

class RehearsalFailed extends Error {}

const check = (ok: boolean, what: string): void => {
  if (!ok) throw new RehearsalFailed(`rehearsal: ${what}`);
};

const money = (amount: number, currency: string) => `${(amount / 100).toFixed(2)} ${currency.toUpperCase()}`;

const catalogPrice = (target: PriceTarget): number => {
  const plan = findPlan(target.planId);
  if (!plan) throw new Error(`no plan ${target.planId}`);
  return planPrice(plan, target.currency, target.cycle);
};

export const rehearse = async (options: RehearsalOptions): Promise<RehearsalResult> => {
  if (!options.secretKey.startsWith('sk_test_')) throw new Error('the rehearsal runs in test mode only: STRIPE_SECRET_KEY must be sk_test_...');
  const log = options.log ?? ((line: string) => console.log(line));
  const base = options.apiBase ? new URL(options.apiBase) : null;
  const stripe = new Stripe(options.secretKey, base ? { host: base.hostname, port: Number(base.port), protocol: base.protocol.replace(':', '') as 'http' | 'https' } : {});
  const run = randomUUID().slice(0, 8);
  const clocks = new Map<string, string>();
  const adapter = new StripeAdapter({
    secretKey: options.secretKey,
    webhookSecret: 'whsec_unused',
    ...(options.apiBase ? { apiBase: options.apiBase } : {}),
    testClockFor: (tenantId) => clocks.get(tenantId),
  });
  const steps: string[] = [];
  const say = (line: string) => {
    steps.push(line);
    log(line);
  };

  /** A fresh test clock for a tenant, frozen at the clock's "now" of the account. */
  const newTenant = async (name: string) => {
    const tenantId = `rehearsal-${run}-${name}`;
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: Math.floor(Date.now() / 1000), name: tenantId });
    clocks.set(tenantId, clock.id);
    const customerId = await adapter.createCustomer({ tenantId, idempotencyKey: `customer:${tenantId}` });
    // A US address: Stripe Tax does not collect there for this account, so the checks below are before tax.
    await adapter.saveBillingDetails(customerId, { name, email: `${name}@rehearsal.invalid`, address: { ...addressIn('US'), postal_code: '94107' }, tax_ids: [] });
    say(`${tenantId}: test clock ${clock.id} at ${new Date(clock.frozen_time * 1000).toISOString()}, customer ${customerId}`);
    return { tenantId, customerId, clockId: clock.id };
  };

  /** Moves a tenant's test clock and waits until Stripe has done everything due (status `ready`). */
  const advance = async (clockId: string, to: number) => {
    await stripe.testHelpers.testClocks.advance(clockId, { frozen_time: to });
    for (let i = 0; ; i += 1) {
      const clock = await stripe.testHelpers.testClocks.retrieve(clockId);
      if (clock.status === 'ready') break;
      check(i < 120 && clock.status !== 'internal_failure', `test clock ${clockId} did not get ready (${clock.status})`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    say(`  clock -> ${new Date(to * 1000).toISOString()}`);
  };

  const invoicesOf = async (subscriptionId: string): Promise<Stripe.Invoice[]> =>
    (await stripe.invoices.list({ subscription: subscriptionId, limit: 100 })).data;

  const describe = (invoice: ProviderInvoice) =>
    `invoice ${invoice.id} ${invoice.billingReason ?? ''} ${invoice.status} ${money(invoice.total, invoice.currency)}`;

  await adapter.syncCatalog();
  say(`catalog synced (${options.apiBase ? `local endpoint ${options.apiBase}` : 'Stripe test mode'})`);

  // 1. Subscribe: Professional monthly in USD, no trial, a card that pays.
  const professional: PriceTarget = { planId: 'professional', cycle: 'monthly', currency: 'usd' };
  const a = await newTenant('upgrader');
  await adapter.attachPaymentMethod(a.customerId, 'pm_card_visa', `payment-method:${a.tenantId}`);
  const created = await adapter.createSubscription({ tenantId: a.tenantId, customerId: a.customerId, ...professional, trialDays: 0, idempotencyKey: `subscription:${a.tenantId}` });
  say(`subscribe: ${created.id} ${created.status}, ${created.latestInvoice ? describe(created.latestInvoice) : 'no invoice'}`);
  check(created.status === 'active', `a paid subscription is active, not ${created.status}`);
  check(created.latestInvoice?.total === catalogPrice(professional), `the first invoice is the catalog price ${catalogPrice(professional)}`);

  // 2. Upgrade ten days in: the preview and the charge are priced at the same instant.
  const business: PriceTarget = { ...professional, planId: 'business' };
  const upgradeAt = Math.floor(created.periodStart.getTime() / 1000) + 10 * DAY;
  await advance(a.clockId, upgradeAt);
  const previewed = (await adapter.previewPriceChange(created.id, business, new Date(upgradeAt * 1000))).amount;
  const upgraded = await adapter.changePriceNow(created.id, business, `upgrade:${a.tenantId}`, new Date(upgradeAt * 1000));
  const charged = (upgraded.latestInvoice?.lines ?? []).filter((l) => l.kind === 'proration').reduce((sum, l) => sum + l.amount, 0);
  say(`upgrade: previewed ${money(previewed, 'usd')}, charged ${money(charged, 'usd')} (${upgraded.latestInvoice?.status ?? 'no invoice'})`);
  check(charged === previewed, 'the upgrade charges what the preview said');
  check(charged > 0 && charged < catalogPrice(business) - catalogPrice(professional), 'the proration is a part of the price difference');

  // 3. Downgrade at period end, with an overage item on the renewal.
  const starter: PriceTarget = { ...professional, planId: 'starter' };
  const downgraded = await adapter.changePriceAtPeriodEnd(created.id, starter);
  say(`downgrade: to ${downgraded.pendingChange?.planId ?? '?'} at ${downgraded.pendingChange?.effectiveAt.toISOString() ?? '?'}`);
  check(downgraded.pendingChange?.planId === 'starter', 'the downgrade waits for the period end');
  const overage = 1_234;
  await adapter.createInvoiceItem({
    customerId: a.customerId,
    subscriptionId: created.id,
    currency: 'usd',
    amount: overage,
    description: 'Rehearsal overage: API calls over the plan',
    periodStart: created.periodStart,
    periodEnd: new Date(upgradeAt * 1000),
    metadata: { kind: 'overage', overage_key: `overage:${a.tenantId}` },
    invoiceId: null,
    idempotencyKey: `overage:${a.tenantId}`,
  });
  const periodEnd = Math.floor(upgraded.periodEnd.getTime() / 1000);
  await advance(a.clockId, periodEnd + 2 * 3600);
  const renewal = (await invoicesOf(created.id)).find((i) => i.billing_reason === 'subscription_cycle');
  const renewed = renewal ? await adapter.getInvoice(renewal.id) : null;
  say(`renewal: ${renewed ? describe(renewed) : 'none'}`);
  check(renewed?.status === 'paid', 'the renewal is paid');
  check(renewed?.lines.filter((l) => l.kind === 'subscription').reduce((s, l) => s + l.amount, 0) === catalogPrice(starter), 'the renewal bills the Starter price');
  check(renewed?.lines.filter((l) => l.kind === 'overage').reduce((s, l) => s + l.amount, 0) === overage, 'the renewal carries the overage item');

  // 4. Dunning: a card that attaches but declines; the trial ends, the renewal fails, a new card pays it.
  const b = await newTenant('dunning');
  await adapter.attachPaymentMethod(b.customerId, 'pm_card_chargeCustomerFail', `payment-method:${b.tenantId}`);
  const trial = await adapter.createSubscription({ tenantId: b.tenantId, customerId: b.customerId, ...starter, trialDays: 7, idempotencyKey: `subscription:${b.tenantId}` });
  say(`trial: ${trial.id} ${trial.status} until ${trial.trialEnd?.toISOString() ?? '?'}`);
  await advance(b.clockId, Math.floor((trial.trialEnd?.getTime() ?? 0) / 1000) + 2 * 3600);
  const failing = await adapter.getSubscription(trial.id);
  const open = (await invoicesOf(trial.id)).find((i) => i.status === 'open');
  say(`dunning: ${failing.status}, invoice ${open?.id ?? 'none'} attempts ${open?.attempt_count ?? 0}, next try ${open?.next_payment_attempt ? new Date(open.next_payment_attempt * 1000).toISOString() : 'none'}`);
  check(failing.status === 'past_due', `a declined renewal makes the subscription past_due, not ${failing.status}`);
  await adapter.attachPaymentMethod(b.customerId, 'pm_card_visa', `payment-method:${b.tenantId}:2`);
  if (open?.id) await stripe.invoices.pay(open.id, {}, { idempotencyKey: `retry:${b.tenantId}` });
  const recovered = await adapter.getSubscription(trial.id);
  say(`recovery: new card, invoice paid, subscription ${recovered.status}`);
  check(recovered.status === 'active', `paying the open invoice makes it active again, not ${recovered.status}`);

  for (const clockId of clocks.values()) await stripe.testHelpers.testClocks.del(clockId);
  say(`done: ${clocks.size} test clocks deleted (their customers with them)`);
  return { steps, testClocks: [...clocks.values()] };
};
