import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { inject } from 'vitest';
import { API_PREFIX, type RouteTable } from '../../contracts/routes';
import { SimulatedClock } from '../../local/clock';
import { issueToken, type TokenRequest } from '../../local/jwt';
import { LOCAL_STRIPE_KEY, startLocalStack, type LocalStack, type LocalStackOptions } from '../../local/stack';

export interface TestApi {
  readonly stack: LocalStack;
  /** The real Stripe SDK pointed at the local Stripe endpoint, to look at what our code did. */
  readonly stripe: Stripe;
  /** Calls `${API_PREFIX}${path}` on the local HTTP API. */
  call(path: string, init?: RequestInit & { token?: string; json?: unknown }): Promise<Response>;
  token(request: TokenRequest): Promise<string>;
  /**
   * Subscribes a tenant (starter, monthly, no trial, `pm_card_visa` unless `body` says
   * otherwise), waits for Stripe's webhooks, and returns the tenant's token and subscription.
   */
  subscribe(tenantId: string, body?: Record<string, unknown>): Promise<{ token: string; subscription: { id: string; status: string } }>;
  /**
   * Moves the simulated clock and waits until every webhook due by then has landed. What was
   * sent before (usage still on its queue, in the poller's batching window) lands first, at the
   * time it was sent, as it would in the seconds after a request; the clock moves after that.
   */
  advanceTo(at: Date | string): Promise<void>;
}

export interface TestApiOptions {
  readonly routeTable?: RouteTable;
  /** Where the frozen simulated clock starts. */
  readonly start?: Date;
  readonly finalFailure?: 'canceled' | 'unpaid';
  readonly queueOverrides?: LocalStackOptions['queueOverrides'];
  readonly wrapUsageConsumer?: LocalStackOptions['wrapUsageConsumer'];
  readonly usageConsumers?: number;
  readonly allowLocalWebhookTargets?: boolean;
  /** The local Stripe endpoint answers this much later (a slow machine or network). */
  readonly stripeLatencyMs?: number;
}

/** The local stack on free ports, over the run's DynamoDB Local, with its own table, keys and clock. */
export const startTestApi = async (options: TestApiOptions = {}): Promise<TestApi> => {
  const stack = await startLocalStack({
    port: 0,
    dataDir: mkdtempSync(join(tmpdir(), 'securenet-')),
    dynamoEndpoint: inject('dynamoEndpoint'),
    tableName: `e2e-${randomUUID()}`,
    clock: new SimulatedClock({ start: options.start ?? new Date('2027-01-01T00:00:00Z'), frozen: true }),
    ...(options.routeTable ? { routeTable: options.routeTable } : {}),
    ...(options.finalFailure ? { finalFailure: options.finalFailure } : {}),
    ...(options.queueOverrides ? { queueOverrides: options.queueOverrides } : {}),
    ...(options.wrapUsageConsumer ? { wrapUsageConsumer: options.wrapUsageConsumer } : {}),
    ...(options.usageConsumers ? { usageConsumers: options.usageConsumers } : {}),
    ...(options.allowLocalWebhookTargets ? { allowLocalWebhookTargets: true } : {}),
    ...(options.stripeLatencyMs ? { stripeLatencyMs: options.stripeLatencyMs } : {}),
  });
  const stripeUrl = new URL(stack.stripeUrl);
  return {
    stack,
    stripe: new Stripe(LOCAL_STRIPE_KEY, { host: stripeUrl.hostname, port: Number(stripeUrl.port), protocol: 'http' }),
    token: (request) => issueToken(stack.keys, request),
    subscribe: async (tenantId, body = {}) => {
      const token = await issueToken(stack.keys, { tenantId });
      const res = await fetch(`${stack.apiUrl}${API_PREFIX}/subscriptions/create`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ address: { country: 'US', postal_code: '94107' }, plan_id: 'starter', billing_cycle: 'monthly', trial_days: 0, payment_method: 'pm_card_visa', ...body }),
      });
      const text = await res.text();
      if (res.status !== 201) throw new Error(`subscribing ${tenantId} answered ${res.status}: ${text}`);
      await stack.settle();
      return { token, subscription: (JSON.parse(text) as { subscription: { id: string; status: string } }).subscription };
    },
    advanceTo: async (at) => {
      // The clock crosses a month in milliseconds while a queued record waits out its batching
      // window (a second of wall time): without this it would be aggregated whenever the poller
      // got to it, after period ends and renewal invoices it should have come before.
      await stack.settle();
      await stack.clock.advanceTo(typeof at === 'string' ? new Date(at) : at);
      await stack.settle();
    },
    call: (path, init = {}) => {
      const { token, json, headers, ...rest } = init;
      return fetch(`${stack.apiUrl}${API_PREFIX}${path}`, {
        ...rest,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(json === undefined ? {} : { 'content-type': 'application/json' }),
          ...(headers as Record<string, string> | undefined),
        },
        ...(json === undefined ? {} : { body: JSON.stringify(json) }),
      });
    },
  };
};
