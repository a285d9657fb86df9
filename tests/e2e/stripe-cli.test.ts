import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_STRIPE_KEY } from '../../local/stack';
import { startTestApi, type TestApi } from '../support/local-api';

/**
 * Judged by Stripe's own tool: the official Stripe CLI (npm `@stripe/cli`, its binary from the
 * platform package) runs `stripe trigger <event>` against the local Stripe endpoint of a whole
 * local stack, whose webhook route receives every event the fixtures cause. Each modelled
 * trigger must succeed, and the route must never answer a 5xx (Stripe would retry for days).
 */

/**
 * Billing-relevant triggers the local endpoint models (SPEC section 9): every `stripe trigger`
 * event but Connect, Issuing, Identity, Treasury-like balances, payouts, transfers, top-ups,
 * quotes, payment links, reporting, disputes and billing meters. Not counted either way:
 * `checkout.session.async_payment_failed`, whose fixture expects Stripe to refuse a sepa_debit
 * step, so it "succeeds" against an endpoint that models no sepa_debit.
 */
const MODELLED = [
  'billing_portal.configuration.created',
  'billing_portal.configuration.updated',
  'billing_portal.session.created',
  'charge.captured',
  'charge.failed',
  'charge.refund.updated',
  'charge.refunded',
  'charge.succeeded',
  'checkout.session.completed',
  'checkout.session.expired',
  'coupon.created',
  'coupon.deleted',
  'coupon.updated',
  'credit_note.created',
  'credit_note.updated',
  'credit_note.voided',
  'customer.created',
  'customer.deleted',
  'customer.discount.created',
  'customer.discount.deleted',
  'customer.discount.updated',
  'customer.source.created',
  'customer.source.updated',
  'customer.subscription.created',
  'customer.subscription.deleted',
  'customer.subscription.paused',
  'customer.subscription.trial_will_end',
  'customer.subscription.updated',
  'customer.updated',
  'invoice.created',
  'invoice.deleted',
  'invoice.finalized',
  'invoice.marked_uncollectible',
  'invoice.paid',
  'invoice.payment_action_required',
  'invoice.payment_failed',
  'invoice.payment_succeeded',
  'invoice.sent',
  'invoice.updated',
  'invoice.voided',
  'invoiceitem.created',
  'invoiceitem.deleted',
  'payment_intent.amount_capturable_updated',
  'payment_intent.canceled',
  'payment_intent.created',
  'payment_intent.payment_failed',
  'payment_intent.requires_action',
  'payment_intent.succeeded',
  'payment_method.attached',
  'payment_method.detached',
  'payment_method.updated',
  'plan.created',
  'plan.deleted',
  'plan.updated',
  'price.created',
  'price.updated',
  'product.created',
  'product.deleted',
  'product.updated',
  'promotion_code.created',
  'promotion_code.updated',
  'setup_intent.canceled',
  'setup_intent.created',
  'setup_intent.requires_action',
  'setup_intent.setup_failed',
  'setup_intent.succeeded',
  'subscription.payment_failed',
  'subscription.payment_succeeded',
  'subscription_schedule.aborted',
  'subscription_schedule.canceled',
  'subscription_schedule.completed',
  'subscription_schedule.created',
  'subscription_schedule.expiring',
  'subscription_schedule.released',
  'subscription_schedule.updated',
  'tax_rate.created',
  'tax_rate.updated',
  'test_helpers.test_clock.advancing',
  'test_helpers.test_clock.created',
  'test_helpers.test_clock.deleted',
  'test_helpers.test_clock.ready',
] as const;

/** Triggers the local endpoint leaves out: each must fail with a Stripe-shaped error and be listed in docs/local-stripe.md. */
const LEFT_OUT = [
  'checkout.session.async_payment_succeeded',
  'payment_intent.partially_funded',
  'payment_intent.processing',
] as const;

const require = createRequire(import.meta.url);
const CLI = require.resolve('@stripe/cli/bin/shim.js');
const run = promisify(execFile);

interface TriggerResult {
  readonly ok: boolean;
  readonly output: string;
}

let api: TestApi;
let home: string;
/** Deliveries before the triggers: the catalog sync at start, sent while the API was not listening yet. */
let startAttempts = 0;

const trigger = async (event: string): Promise<TriggerResult> => {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      [CLI, 'trigger', event, '--api-base', api.stack.stripeUrl, '--api-key', LOCAL_STRIPE_KEY],
      // Its own HOME: no config or login of the machine's, and no telemetry.
      { env: { ...process.env, HOME: home, STRIPE_CLI_TELEMETRY_OPTOUT: '1', npm_config_user_agent: '' }, timeout: 60_000 },
    );
    const output = `${stdout}${stderr}`;
    return { ok: output.includes('Trigger succeeded'), output };
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    return { ok: false, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}${failed.message}` };
  }
};

/** Runs the triggers a few at a time (each is a separate CLI process) and returns their results by event. */
const triggerAll = async (events: readonly string[], parallel = 4): Promise<Map<string, TriggerResult>> => {
  const results = new Map<string, TriggerResult>();
  const queue = [...events];
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      for (let event = queue.shift(); event !== undefined; event = queue.shift()) results.set(event, await trigger(event));
    }),
  );
  await api.stack.settle();
  return results;
};

beforeAll(async () => {
  api = await startTestApi({ start: new Date('2027-05-01T00:00:00Z') });
  home = mkdtempSync(join(tmpdir(), 'stripe-cli-'));
  await api.stack.settle();
  startAttempts = api.stack.stripe.webhookAttempts().length;
  // The local endpoint's key is the one the stack's functions use; the CLI only needs it to look like a test key.
  expect(LOCAL_STRIPE_KEY.startsWith('sk_test_')).toBe(true);
});
afterAll(async () => api.stack.stop());

describe('the Stripe CLI against the local stack', () => {
  it(
    'runs every modelled billing trigger, and the webhook route answers each event it causes without a 5xx',
    async () => {
      const results = await triggerAll(MODELLED);

      const failed = [...results].filter(([, r]) => !r.ok).map(([event, r]) => `${event}: ${r.output.slice(-400)}`);
      expect(failed).toEqual([]);
      const attempts = api.stack.stripe.webhookAttempts().slice(startAttempts);
      // The fixtures cause hundreds of events; every one reached the route and none got a 5xx or no answer.
      expect(attempts.length).toBeGreaterThan(MODELLED.length * 2);
      const broken = attempts.filter((a) => a.status === null || a.status >= 500).map((a) => `${a.type} ${a.status ?? a.error}`);
      expect(broken).toEqual([]);
    },
    300_000,
  );

  it('answers what it leaves out with a Stripe-shaped error, and docs/local-stripe.md lists it', async () => {
    const docs = readFileSync(join(import.meta.dirname, '../../docs/local-stripe.md'), 'utf8');
    const results = await triggerAll(LEFT_OUT);
    for (const event of LEFT_OUT) {
      const result = results.get(event);
      expect(result?.ok, event).toBe(false);
      expect(result?.output, event).toMatch(/"type": "invalid_request_error"/);
      expect(docs, event).toContain(`\`${event}\``);
    }
  }, 120_000);
});
