import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { API_PREFIX } from '../../../contracts/routes';
import { SimulatedClock } from '../../../local/clock';
import { issueToken } from '../../../local/jwt';
import {
  formatQueueBatch,
  formatRequest,
  formatStripeWebhook,
  queueBatchLine,
  readableLog,
  type LocalLog,
} from '../../../local/log';
import { createLocalSqsClient, type Invocation } from '../../../local/sqs';
import { startLocalStack, type LocalStack } from '../../../local/stack';

describe('local log lines', () => {
  describe('formatRequest', () => {
    it('writes method, path, status, duration and tenant, as the issue shows', () => {
      // Act
      const line = formatRequest({ method: 'POST', path: '/api/billing/usage/track', status: 202, durationMs: 12.4, caller: 'org-demo' });

      // Assess
      expect(line).toBe('POST /api/billing/usage/track 202 12 ms org-demo');
    });

    it('leaves out the caller when there is none and adds why an error answer was given', () => {
      expect(formatRequest({ method: 'GET', path: '/api/billing/plans', status: 200, durationMs: 3 })).toBe('GET /api/billing/plans 200 3 ms');
      expect(formatRequest({ method: 'GET', path: '/api/billing/x', status: 401, durationMs: 1, refusal: 'Unauthorized' })).toBe(
        'GET /api/billing/x 401 1 ms (Unauthorized)',
      );
    });
  });

  describe('formatStripeWebhook', () => {
    it('writes the event type and id, the status and the outcome', () => {
      expect(formatStripeWebhook({ eventType: 'invoice.paid', eventId: 'evt_1', status: 200, durationMs: 8.6, outcome: 'processed' })).toBe(
        'stripe webhook invoice.paid evt_1 200 9 ms processed',
      );
    });
  });

  describe('queueBatchLine', () => {
    const invocation = (settlement: Invocation['settlement']): Invocation => ({
      requestId: 'r',
      messageIds: ['a', 'b', 'c'],
      settlement,
      deleted: [],
      durationMs: 35,
    });

    it('counts no failure for a successful batch', () => {
      expect(formatQueueBatch(queueBatchLine('usage', invocation({ kind: 'success' })))).toBe('queue usage 3 messages 0 failed 35 ms');
    });

    it('counts the reported failures of a partial batch', () => {
      expect(queueBatchLine('usage', invocation({ kind: 'partial', failed: new Set(['b']) })).failed).toBe(1);
    });

    it('counts the whole batch, with the reason, when the function failed', () => {
      // Act
      const line = formatQueueBatch(queueBatchLine('overage', invocation({ kind: 'failure', reason: 'boom' })));

      // Assess
      expect(line).toBe('queue overage 3 messages 3 failed 35 ms: boom');
    });
  });
});

describe('startLocalStack({ log })', () => {
  const lines: string[] = [];
  let stack: LocalStack;
  let tenantToken: string;
  const log: LocalLog = readableLog((line) => lines.push(line));

  beforeAll(async () => {
    stack = await startLocalStack({
      port: 0,
      dataDir: mkdtempSync(join(tmpdir(), 'securenet-log-')),
      dynamoEndpoint: inject('dynamoEndpoint'),
      tableName: `log-${randomUUID()}`,
      clock: new SimulatedClock({ start: new Date('2027-01-01T00:00:00Z'), frozen: true }),
      log,
    });
    tenantToken = await issueToken(stack.keys, { tenantId: 'org-log', userId: 'u-log' });
  });
  afterAll(async () => stack.stop());

  const call = async (path: string, init: RequestInit & { token?: string; json?: unknown } = {}): Promise<Response> => {
    const { token, json, ...rest } = init;
    const res = await fetch(`${stack.apiUrl}${path}`, {
      ...rest,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(json === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(json === undefined ? {} : { body: JSON.stringify(json) }),
    });
    await res.arrayBuffer();
    return res;
  };
  /** The lines printed while `act` ran and the stack settled. */
  const printedBy = async (act: () => Promise<unknown>): Promise<string[]> => {
    const from = lines.length;
    await act();
    await stack.settle();
    return lines.slice(from);
  };

  it('prints one line per API request, with the tenant of the token', async () => {
    // Act
    const printed = await printedBy(async () => {
      await call(`${API_PREFIX}/plans`);
      await call(`${API_PREFIX}/subscriptions/current`, { token: tenantToken });
    });

    // Assess
    expect(printed).toHaveLength(2);
    expect(printed[0]).toMatch(/^GET \/api\/billing\/plans 200 \d+ ms$/);
    expect(printed[1]).toMatch(/^GET \/api\/billing\/subscriptions\/current \d{3} \d+ ms org-log/);
  });

  it('names an admin caller and says why API Gateway refused a request', async () => {
    // Prepare
    const adminToken = await issueToken(stack.keys, { userId: 'admin-log', admin: true });

    // Act
    const printed = await printedBy(async () => {
      await call(`${API_PREFIX}/admin/overview`, { token: adminToken });
      await call(`${API_PREFIX}/customer`, { token: 'not-a-jwt' });
      await call(`${API_PREFIX}/subscriptions/current`, { token: 'not-a-jwt' });
      await call(`${API_PREFIX}/no-such-route`);
    });

    // Assess
    expect(printed).toEqual([
      expect.stringMatching(/^GET \/api\/billing\/admin\/overview 200 \d+ ms admin$/),
      expect.stringMatching(/^GET \/api\/billing\/customer 401 \d+ ms \(Unauthorized\)$/),
      expect.stringMatching(/^GET \/api\/billing\/subscriptions\/current 401 \d+ ms \(unauthenticated: A valid bearer token is required\)$/),
      expect.stringMatching(/^GET \/api\/billing\/no-such-route 404 \d+ ms \(Not Found\)$/),
    ]);
  });

  it('prints each Stripe webhook as its event, and a refusal with its code and message', async () => {
    // Prepare
    const subscribe = { plan_id: 'starter', billing_cycle: 'monthly', trial_days: 0, payment_method: 'pm_card_visa', address: { country: 'GB' } };

    // Act
    const printed = await printedBy(async () => {
      await call(`${API_PREFIX}/subscriptions/create`, { method: 'POST', token: tenantToken, json: subscribe });
      await call(`${API_PREFIX}/subscriptions/create`, { method: 'POST', token: tenantToken, json: subscribe });
    });

    // Assess
    expect(printed).toContainEqual(expect.stringMatching(/^POST \/api\/billing\/subscriptions\/create 201 \d+ ms org-log$/));
    expect(printed).toContainEqual(expect.stringMatching(/^POST \/api\/billing\/subscriptions\/create 409 \d+ ms org-log \(conflict: .+\)$/));
    expect(printed).toContainEqual(expect.stringMatching(/^stripe webhook customer\.subscription\.created evt_\w+ 200 \d+ ms processed$/));
    expect(printed).toContainEqual(expect.stringMatching(/^stripe webhook invoice\.paid evt_\w+ 200 \d+ ms processed$/));
    expect(printed.filter((line) => line.includes('/webhooks/stripe'))).toEqual([]);
  });

  it('prints one line per queue batch, failures counted', async () => {
    // Act
    const printed = await printedBy(async () => {
      await call(`${API_PREFIX}/usage/track`, { method: 'POST', token: tenantToken, json: { resource_type: 'api_calls', usage_amount: 3 } });
    });

    // Assess
    expect(printed[0]).toMatch(/^POST \/api\/billing\/usage\/track 202 \d+ ms org-log$/);
    expect(printed).toContainEqual(expect.stringMatching(/^queue usage 1 message 0 failed \d+ ms$/));
  });

  it('prints the local clock route but not the page and its files', async () => {
    // Act
    const printed = await printedBy(async () => {
      await call('/');
      await call('/config.json');
      await call('/__local/clock');
    });

    // Assess
    expect(printed).toEqual([expect.stringMatching(/^GET \/__local\/clock 200 \d+ ms$/)]);
  });

  // Last: the unreadable message stays in flight until its visibility timeout, so nothing settles after it.
  it('prints the batch of a message the consumer cannot read, its failure counted', async () => {
    // Prepare
    const sqs = createLocalSqsClient(stack.sqsEndpoint);
    const from = lines.length;

    // Act
    await sqs.send(new SendMessageCommand({ QueueUrl: stack.usageQueueUrl, MessageBody: 'not json' }));
    sqs.destroy();

    // Assess
    await expect.poll(() => lines.slice(from), { timeout: 20_000 }).toContainEqual(expect.stringMatching(/^queue usage 1 message 1 failed \d+ ms$/));
  });
});
