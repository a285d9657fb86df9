import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { inject } from 'vitest';
import { API_PREFIX, type RouteTable } from '../../contracts/routes';
import { createBillingClient, type BillingClient } from '../../packages/client';
import { SimulatedClock } from '../../local/clock';
import { issueToken, type TokenRequest } from '../../local/jwt';
import { LOCAL_STRIPE_KEY, startLocalStack, type LocalStack, type LocalStackOptions } from '../../local/stack';

export interface TestApi {
  readonly stack: LocalStack;
  /** The real Stripe SDK pointed at the local Stripe endpoint, to look at what our code did. */
  readonly stripe: Stripe;
  /**
   * Calls `${API_PREFIX}${path}` on the local HTTP API through the typed client's raw request
   * (no retries, every answer as it came): for requests the contract would not let `client` send.
   */
  call(path: string, init?: RequestInit & { token?: string; json?: unknown }): Promise<Response>;
  /** The typed client (`packages/client`) with this token: operations by name, retries on 429/503, Idempotency-Keys. */
  client(token: string | null): BillingClient;
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
      const client = clientFor(stack, token);
      const created = await client
        .call('createSubscription', {
          body: { address: { country: 'US', postal_code: '94107' }, plan_id: 'starter', billing_cycle: 'monthly', trial_days: 0, payment_method: 'pm_card_visa', ...body } as never,
        })
        .catch((error: unknown) => {
          throw new Error(`subscribing ${tenantId} failed: ${String(error)}`, { cause: error });
        });
      await stack.settle();
      return { token, subscription: created.subscription };
    },
    advanceTo: async (at) => {
      // The clock crosses a month in milliseconds while a queued record waits out its batching
      // window (a second of wall time): without this it would be aggregated whenever the poller
      // got to it, after period ends and renewal invoices it should have come before.
      await stack.settle();
      await stack.clock.advanceTo(typeof at === 'string' ? new Date(at) : at);
      await stack.settle();
    },
    client: (token) => clientFor(stack, token),
    call: async (path, init = {}) => {
      const { token, json, headers, method, body } = init;
      if (body !== undefined && body !== null && typeof body !== 'string') throw new Error('api.call sends a string body or `json`; use fetch for anything else');
      const answer = await clientFor(stack, token ?? null).raw({
        method: method ?? 'GET',
        path,
        ...(json === undefined ? {} : { json }),
        ...(typeof body === 'string' ? { text: body } : {}),
        headers: { accept: '*/*', ...(headers as Record<string, string> | undefined) },
      });
      // The answer as a fetch Response, so tests read it as they would any other.
      const bodyless = [101, 204, 205, 304].includes(answer.status);
      return new Response(bodyless ? null : answer.text, { status: answer.status, headers: answer.headers });
    },
  };
};

const clientFor = (stack: LocalStack, token: string | null): BillingClient =>
  createBillingClient({ baseUrl: `${stack.apiUrl}${API_PREFIX}`, token: () => token });
