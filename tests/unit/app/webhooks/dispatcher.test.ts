import { describe, expect, it } from 'vitest';
import type { OutgoingMessage } from '../../../../src/app/ports/queue';
import type { DeliveryAttempt, WebhookEndpoint } from '../../../../src/app/ports/webhooks';
import { WebhookDispatcher, type QueuedMessage } from '../../../../src/app/webhooks/dispatcher';
import { secretContext } from '../../../../src/app/webhooks/endpoints';
import { SecretBox } from '../../../../src/app/webhooks/secret-box';
import { verifySignature } from '../../../../src/app/webhooks/signature';
import { TargetRefused, type OutgoingWebhook, type SendResult, type VettedTarget } from '../../../../src/app/ports/webhook-delivery';
import { InMemoryWebhookStore } from '../../../support/fakes/webhooks';

const box = SecretBox.fromKeyMaterial('dispatcher-test-key-material-32-chars-long');
const NOW = new Date('2027-02-01T10:00:00Z');
const WALL_MS = 1_900_000_000_000;

const endpoint = (id: string, overrides: Partial<WebhookEndpoint> = {}, secret = `whsec_${id}`): WebhookEndpoint => ({
  id,
  tenant_id: 'org-1',
  url: `https://hooks.example.com/${id}`,
  events: ['subscription.created'],
  enabled: true,
  created_at: NOW.toISOString(),
  updated_at: NOW.toISOString(),
  secret_sealed: box.seal(secret, secretContext('org-1', id)),
  previous_secret_sealed: null,
  previous_secret_expires_at: null,
  ...overrides,
});

const event = { id: 'evt_1', type: 'subscription.created' as const, created_at: NOW.toISOString(), data: { plan_id: 'starter' } };

const queued = (body: unknown, receiveCount = 1, messageId = 'm1'): QueuedMessage => ({
  messageId,
  receiptHandle: `rh-${messageId}-${receiveCount}`,
  body: JSON.stringify(body),
  receiveCount,
});

const delivery = (endpointId: string) => ({ kind: 'delivery', tenant_id: 'org-1', endpoint_id: endpointId, event });

const setup = (options: { statuses?: number[]; maxReceiveCount?: number | null; vet?: (url: string) => Promise<VettedTarget> } = {}) => {
  const store = new InMemoryWebhookStore();
  const enqueued: OutgoingMessage[] = [];
  const delays: { receiptHandle: string; seconds: number }[] = [];
  const sent: OutgoingWebhook[] = [];
  const statuses = [...(options.statuses ?? [])];
  const observed: DeliveryAttempt[] = [];
  const dispatcher = new WebhookDispatcher({
    repository: store,
    queue: { sendAll: async (messages) => void enqueued.push(...messages) },
    retries: { delay: async (receiptHandle, seconds) => void delays.push({ receiptHandle, seconds }), maxReceiveCount: async () => options.maxReceiveCount ?? 16 },
    secretBox: async () => box,
    vet: options.vet ?? (async (url) => ({ url: new URL(url), addresses: [{ address: '93.184.215.14', family: 4 }] })),
    send: async (webhook): Promise<SendResult> => {
      sent.push(webhook);
      const statusCode = statuses.shift() ?? 200;
      return { statusCode, latencyMs: 12, error: null };
    },
    policy: { baseSeconds: 60, maxSeconds: 10_800, jitter: 0.2 },
    timeoutMs: 5_000,
    clock: { now: () => NOW },
    wallClock: () => WALL_MS,
    random: () => 0.5,
    onAttempt: (attempt) => void observed.push(attempt),
  });
  return { store, dispatcher, enqueued, delays, sent, observed };
};

describe('WebhookDispatcher', () => {
  describe('fan-out', () => {
    it('puts one delivery message per enabled endpoint subscribed to the event type', async () => {
      const { store, dispatcher, enqueued } = setup();
      store.seed(
        endpoint('we_a'),
        endpoint('we_b', { enabled: false }),
        endpoint('we_c', { events: ['invoice.paid'] }),
        endpoint('we_d', { events: ['invoice.paid', 'subscription.created'] }),
        endpoint('we_e', { tenant_id: 'org-2' }),
      );
      expect(await dispatcher.processBatch([queued({ tenant_id: 'org-1', event })])).toEqual([]);
      expect(enqueued.map((m) => JSON.parse(m.body) as { endpoint_id: string })).toEqual([
        expect.objectContaining({ kind: 'delivery', tenant_id: 'org-1', endpoint_id: 'we_a', event }),
        expect.objectContaining({ endpoint_id: 'we_d' }),
      ]);
    });

    it('is done with an event no endpoint wants', async () => {
      const { dispatcher, enqueued } = setup();
      expect(await dispatcher.processBatch([queued({ tenant_id: 'org-1', event })])).toEqual([]);
      expect(enqueued).toEqual([]);
    });
  });

  describe('delivery', () => {
    it('posts the signed event and records the successful attempt', async () => {
      const { store, dispatcher, sent, delays } = setup();
      store.seed(endpoint('we_a'));
      expect(await dispatcher.processBatch([queued(delivery('we_a'))])).toEqual([]);
      const [webhook] = sent;
      if (!webhook) throw new Error('nothing sent');
      expect(JSON.parse(webhook.body)).toEqual({ id: 'evt_1', type: 'subscription.created', created_at: NOW.toISOString(), tenant_id: 'org-1', data: { plan_id: 'starter' } });
      expect(webhook.headers['x-securenet-timestamp']).toBe(String(WALL_MS / 1000));
      expect(
        verifySignature({ body: webhook.body, timestamp: webhook.headers['x-securenet-timestamp'], signature: webhook.headers['x-securenet-signature'] }, 'whsec_we_a', {
          nowSeconds: WALL_MS / 1000,
        }),
      ).toBe(true);
      expect(webhook.timeoutMs).toBe(5_000);
      expect(store.loggedAttempts()).toEqual([
        expect.objectContaining({ endpoint_id: 'we_a', event_id: 'evt_1', attempt: 1, status: 'succeeded', status_code: 200, latency_ms: 12, error: null, next_attempt_at: null }),
      ]);
      expect(delays).toEqual([]);
    });

    it('hides a failed delivery for the backoff delay and reports it failed', async () => {
      const { store, dispatcher, delays } = setup({ statuses: [500] });
      store.seed(endpoint('we_a'));
      expect(await dispatcher.processBatch([queued(delivery('we_a'), 3)])).toEqual(['m1']);
      expect(delays).toEqual([{ receiptHandle: 'rh-m1-3', seconds: 240 }]);
      expect(store.loggedAttempts()).toEqual([
        expect.objectContaining({ attempt: 1, status: 'retrying', status_code: 500, error: 'HTTP 500', next_attempt_at: '2027-02-01T10:04:00.000Z' }),
      ]);
    });

    it('marks the last attempt failed and lets SQS dead-letter it at once', async () => {
      const { store, dispatcher, delays } = setup({ statuses: [503], maxReceiveCount: 4 });
      store.seed(endpoint('we_a'));
      expect(await dispatcher.processBatch([queued(delivery('we_a'), 4)])).toEqual(['m1']);
      expect(delays).toEqual([{ receiptHandle: 'rh-m1-4', seconds: 0 }]);
      expect(store.loggedAttempts()[0]).toMatchObject({ status: 'failed', next_attempt_at: null });
    });

    it('drops a copy of an event already delivered to the endpoint, sending nothing', async () => {
      const { store, dispatcher, sent } = setup();
      store.seed(endpoint('we_a'));
      await dispatcher.processBatch([queued(delivery('we_a'), 1, 'm1')]);
      expect(await dispatcher.processBatch([queued(delivery('we_a'), 1, 'm2')])).toEqual([]);
      expect(sent).toHaveLength(1);
      expect(store.loggedAttempts()).toHaveLength(1);
    });

    it('retries a copy later while another consumer holds the delivery', async () => {
      const { store, dispatcher, sent, delays } = setup();
      store.seed(endpoint('we_a'));
      await store.claim('org-1', 'we_a', 'evt_1', WALL_MS, 20_000);
      expect(await dispatcher.processBatch([queued(delivery('we_a'))])).toEqual(['m1']);
      expect(sent).toEqual([]);
      expect(delays).toEqual([{ receiptHandle: 'rh-m1-1', seconds: 20 }]);
    });

    it('counts attempts per endpoint and event across messages, telling onAttempt about each', async () => {
      const { store, dispatcher, observed } = setup({ statuses: [500, 500, 200] });
      store.seed(endpoint('we_a'));
      for (const receive of [1, 2, 3]) await dispatcher.processBatch([queued(delivery('we_a'), receive)]);
      expect(store.loggedAttempts().map((a) => [a.attempt, a.status])).toEqual([
        [1, 'retrying'],
        [2, 'retrying'],
        [3, 'succeeded'],
      ]);
      expect(observed).toEqual(store.loggedAttempts());
    });

    it.each([
      ['deleted', undefined],
      ['disabled', endpoint('we_a', { enabled: false })],
      ['no longer subscribed', endpoint('we_a', { events: ['invoice.paid'] })],
    ])('sends nothing to an endpoint %s since the fan-out', async (_what, current) => {
      const { store, dispatcher, sent } = setup();
      if (current) store.seed(current);
      expect(await dispatcher.processBatch([queued(delivery('we_a'))])).toEqual([]);
      expect(sent).toEqual([]);
    });

    it('logs a refused target as a failed attempt without connecting', async () => {
      const { store, dispatcher, sent } = setup({
        vet: () => Promise.reject(new TargetRefused('hooks.example.com resolves to 10.0.0.7, not a public address (private)')),
      });
      store.seed(endpoint('we_a'));
      expect(await dispatcher.processBatch([queued(delivery('we_a'))])).toEqual(['m1']);
      expect(sent).toEqual([]);
      expect(store.loggedAttempts()[0]).toMatchObject({
        status: 'retrying',
        status_code: null,
        error: 'refused: hooks.example.com resolves to 10.0.0.7, not a public address (private)',
      });
    });

    it('signs with the previous secret too while its grace period runs, and not after', async () => {
      const { store, dispatcher, sent } = setup();
      const previous = box.seal('whsec_old', secretContext('org-1', 'we_a'));
      store.seed(
        endpoint('we_a', { previous_secret_sealed: previous, previous_secret_expires_at: '2027-02-01T11:00:00.000Z' }),
        endpoint('we_b', { previous_secret_sealed: previous, previous_secret_expires_at: '2027-02-01T09:00:00.000Z' }),
      );
      await dispatcher.processBatch([queued(delivery('we_a'), 1, 'm1'), queued(delivery('we_b'), 1, 'm2')]);
      const signatures = sent.map((w) => w.headers['x-securenet-signature']?.split(',').length);
      expect(signatures.sort()).toEqual([1, 2]);
    });
  });

  it('leaves an unreadable message to the queue, and so to the DLQ, without a retry delay', async () => {
    const { dispatcher, delays } = setup();
    expect(await dispatcher.processBatch([{ messageId: 'bad', receiptHandle: 'rh', body: 'not json', receiveCount: 1 }])).toEqual(['bad']);
    expect(delays).toEqual([]);
  });
});
