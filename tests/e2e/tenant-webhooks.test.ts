import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetQueueUrlCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queues } from '../../contracts/queues';
import { useWebhookResolver } from '../../src/composition/webhooks';
import { verifySignature } from '../../src/app/webhooks/signature';
import { systemResolver, type ResolvedAddress } from '../../src/adapters/webhooks/target-guard';
import { startTestApi, type TestApi } from '../support/local-api';
import { expectJson as json } from '../support/http';

/** A real HTTP receiver on loopback: records every request; answers from a script per path. */
interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

const receiver = {
  server: undefined as Server | undefined,
  port: 0,
  received: [] as Received[],
  /** Statuses to answer, in order, per path; 200 once a path's script runs out. */
  scripts: new Map<string, number[]>(),
  /** Paths that always fail. */
  down: new Set<string>(),
  url(path: string) {
    return `http://127.0.0.1:${this.port}${path}`;
  },
  at(path: string) {
    return this.received.filter((r) => r.path === path);
  },
};

interface WebhookBody {
  id: string;
  url: string;
  events: string[];
  enabled: boolean;
}
interface Attempt {
  endpoint_id: string;
  event_id: string;
  event_type: string;
  attempt: number;
  status: 'succeeded' | 'retrying' | 'failed';
  status_code: number | null;
  latency_ms: number | null;
  error: string | null;
  attempted_at: string;
  next_attempt_at: string | null;
}
interface DeliveredEvent {
  id: string;
  type: string;
  created_at: string;
  tenant_id: string;
  data: Record<string, unknown>;
}

let api: TestApi;
/** Host names the dispatcher resolves from this table (the DNS-rebinding test); the rest from the system. */
const dnsTable = new Map<string, ResolvedAddress[]>();

beforeAll(async () => {
  receiver.server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      receiver.received.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const status = receiver.down.has(path) ? 503 : (receiver.scripts.get(path)?.shift() ?? 200);
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'nope');
    });
  });
  await new Promise<void>((resolve) => receiver.server?.listen(0, '127.0.0.1', resolve));
  receiver.port = (receiver.server.address() as AddressInfo).port;

  // Retries after 1 s instead of minutes (the schedule itself is unit-tested); 4 receives before the DLQ instead of 16.
  process.env.WEBHOOK_RETRY_BASE_SECONDS = '1';
  process.env.WEBHOOK_RETRY_MAX_SECONDS = '1';
  useWebhookResolver(async (host) => dnsTable.get(host) ?? systemResolver(host));
  api = await startTestApi({
    start: new Date('2027-04-01T00:00:00Z'),
    allowLocalWebhookTargets: true,
    queueOverrides: { maxReceiveCount: 4 },
  });
});

afterAll(async () => {
  await api.stack.stop();
  await new Promise<void>((resolve) => receiver.server?.close(() => resolve()));
  useWebhookResolver(systemResolver);
  delete process.env.WEBHOOK_RETRY_BASE_SECONDS;
  delete process.env.WEBHOOK_RETRY_MAX_SECONDS;
});

const configure = (token: string, body: unknown) => api.call('/webhooks/configure', { method: 'POST', token, json: body });

const created = async (token: string, body: unknown) => json<{ webhook: WebhookBody; secret: string }>(await configure(token, body), 201);

/** A subscription create publishes `subscription.created` (and Stripe's invoice events after it). */
const subscribe = async (token: string) => {
  await json(await api.call('/subscriptions/create', { method: 'POST', token, json: { address: { country: 'US', postal_code: '94107' }, plan_id: 'starter', billing_cycle: 'monthly' } }), 201);
  await api.stack.settle();
};

const deliveries = async (token: string, query = '') =>
  json<{ deliveries: Attempt[]; next_cursor: string | null }>(await api.call(`/webhooks/deliveries${query}`, { token }), 200);

const byAttempt = (attempts: Attempt[]) => [...attempts].sort((a, b) => a.attempt - b.attempt);

const verifies = (request: Received, secret: string) =>
  verifySignature(
    { body: request.body, timestamp: request.headers['x-securenet-timestamp'] as string | undefined, signature: request.headers['x-securenet-signature'] as string | undefined },
    secret,
  );

describe('tenant webhooks (HTTP API -> webhook queue -> dispatcher -> receiver on loopback)', () => {
  it('delivers a subscription.created event once, signed with the secret configure returned', async () => {
    const token = await api.token({ tenantId: 'org-wh-happy' });
    const { webhook, secret } = await created(token, { url: receiver.url('/happy'), events: ['subscription.created'] });
    expect(webhook).toMatchObject({ url: receiver.url('/happy'), events: ['subscription.created'], enabled: true });
    expect(webhook.id).toMatch(/^we_[0-9a-f]{24}$/);
    expect(secret).toMatch(/^whsec_[\w-]{43}$/);

    // The list never shows a secret.
    const listed = await api.call('/webhooks', { token });
    const listedText = await listed.text();
    expect(listed.status).toBe(200);
    expect(JSON.parse(listedText)).toEqual({ webhooks: [expect.objectContaining({ id: webhook.id, url: webhook.url, enabled: true })] });
    expect(listedText).not.toContain(secret);
    expect(listedText).not.toMatch(/secret_sealed|"secret"/);

    await subscribe(token);

    const [request, ...others] = receiver.at('/happy');
    expect(others).toEqual([]);
    if (!request) throw new Error('the receiver got nothing');
    const event = JSON.parse(request.body) as DeliveredEvent;
    expect(Object.keys(event)).toEqual(['id', 'type', 'created_at', 'tenant_id', 'data']);
    expect(event).toMatchObject({ type: 'subscription.created', tenant_id: 'org-wh-happy', created_at: '2027-04-01T00:00:00.000Z' });
    expect(event.data).toMatchObject({ plan_id: 'starter' });
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['x-securenet-event-id']).toBe(event.id);
    expect(request.headers['x-securenet-signature']).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(verifies(request, secret)).toBe(true);
    expect(verifies(request, `${secret}x`)).toBe(false);
    expect(verifies({ ...request, body: request.body.replace('starter', 'enterprise') }, secret)).toBe(false);

    const { deliveries: attempts } = await deliveries(token);
    expect(attempts).toEqual([
      expect.objectContaining({ endpoint_id: webhook.id, event_id: event.id, event_type: 'subscription.created', attempt: 1, status: 'succeeded', status_code: 200, error: null, next_attempt_at: null }),
    ]);
    expect(attempts[0]?.latency_ms).toBeGreaterThanOrEqual(0);
  });

  it('sends nothing to a disabled endpoint or for event types an endpoint did not choose', async () => {
    const token = await api.token({ tenantId: 'org-wh-choosy' });
    await created(token, { url: receiver.url('/choosy-both'), events: ['subscription.created', 'invoice.paid'] });
    await created(token, { url: receiver.url('/choosy-created'), events: ['subscription.created'] });
    await created(token, { url: receiver.url('/choosy-off'), events: ['subscription.created'], enabled: false });
    const paused = await created(token, { url: receiver.url('/choosy-paused'), events: ['subscription.created'] });
    await created(token, { url: receiver.url('/choosy-other'), events: ['overage.billed'] });
    const disabled = await json<{ webhook: WebhookBody }>(await configure(token, { id: paused.webhook.id, enabled: false }), 200);
    expect(disabled.webhook).toMatchObject({ id: paused.webhook.id, enabled: false, events: ['subscription.created'] });

    await subscribe(token);

    const types = (path: string) => receiver.at(path).map((r) => (JSON.parse(r.body) as DeliveredEvent).type).sort();
    // The trial's $0 invoice is paid at once: both event types were published...
    expect(types('/choosy-both')).toEqual(['invoice.paid', 'subscription.created']);
    // ...and each endpoint got only what it chose, disabled ones nothing.
    expect(types('/choosy-created')).toEqual(['subscription.created']);
    expect(receiver.at('/choosy-off')).toEqual([]);
    expect(receiver.at('/choosy-paused')).toEqual([]);
    expect(receiver.at('/choosy-other')).toEqual([]);
  });

  it('retries a receiver that fails three times with backoff and delivers exactly once, every attempt listed', async () => {
    const token = await api.token({ tenantId: 'org-wh-flaky' });
    receiver.scripts.set('/flaky', [500, 500, 503]);
    const { webhook, secret } = await created(token, { url: receiver.url('/flaky'), events: ['subscription.created'] });

    await subscribe(token);

    const requests = receiver.at('/flaky');
    expect(requests).toHaveLength(4);
    const eventIds = new Set(requests.map((r) => (JSON.parse(r.body) as DeliveredEvent).id));
    expect(eventIds.size).toBe(1);
    expect(requests.every((r) => verifies(r, secret))).toBe(true);
    expect(requests.map((r) => r.headers['x-securenet-delivery-attempt'])).toEqual(['1', '2', '3', '4']);

    const { deliveries: attempts } = await deliveries(token);
    expect(byAttempt(attempts).map((a) => [a.attempt, a.status, a.status_code, a.error])).toEqual([
      [1, 'retrying', 500, 'HTTP 500'],
      [2, 'retrying', 500, 'HTTP 500'],
      [3, 'retrying', 503, 'HTTP 503'],
      [4, 'succeeded', 200, null],
    ]);
    expect(attempts.every((a) => a.endpoint_id === webhook.id && eventIds.has(a.event_id))).toBe(true);
    expect(attempts.filter((a) => a.status === 'retrying').every((a) => a.next_attempt_at !== null)).toBe(true);

    // Paged: two at a time, the cursor carries on, and another tenant's cursor is refused.
    const first = await deliveries(token, '?limit=2');
    expect(first.deliveries).toHaveLength(2);
    expect(first.next_cursor).not.toBeNull();
    const second = await deliveries(token, `?limit=2&cursor=${first.next_cursor ?? ''}`);
    expect([...first.deliveries, ...second.deliveries].map((a) => a.attempt).sort()).toEqual([1, 2, 3, 4]);
    const other = await api.token({ tenantId: 'org-wh-nosy' });
    expect((await api.call(`/webhooks/deliveries?cursor=${first.next_cursor ?? ''}`, { token: other })).status).toBe(400);
  });

  it('dead-letters a delivery whose receiver always fails, with every attempt logged', async () => {
    const token = await api.token({ tenantId: 'org-wh-down' });
    receiver.down.add('/down');
    const { webhook } = await created(token, { url: receiver.url('/down'), events: ['subscription.created'] });

    await subscribe(token);

    expect(receiver.at('/down')).toHaveLength(4);
    const { deliveries: attempts } = await deliveries(token);
    expect(byAttempt(attempts).map((a) => [a.attempt, a.status, a.status_code])).toEqual([
      [1, 'retrying', 503],
      [2, 'retrying', 503],
      [3, 'retrying', 503],
      [4, 'failed', 503],
    ]);
    expect(byAttempt(attempts).at(-1)?.next_attempt_at).toBeNull();

    const sqs = new SQSClient({ endpoint: api.stack.sqsEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: `${queues.webhooks.name}-dlq` }));
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }));
    const dead = Messages.map((m) => JSON.parse(m.Body ?? '{}') as { kind?: string; endpoint_id?: string; event?: { id: string } });
    expect(dead).toContainEqual(expect.objectContaining({ kind: 'delivery', endpoint_id: webhook.id, event: expect.objectContaining({ id: attempts[0]?.event_id }) }));
    sqs.destroy();
  });

  it.each([
    ['the instance metadata address', 'https://169.254.169.254/latest/meta-data/', /^169\.254\.169\.254 is not an allowed address$/],
    ['a private address', 'https://10.0.0.1/hook', /^10\.0\.0\.1 is not an allowed address$/],
    ['a private address over http, even with the local allowance', 'http://10.0.0.1:8080/hook', /is not an allowed address/],
    ['an IPv4-mapped private address', 'https://[::ffff:10.0.0.1]/hook', /is not an allowed address/],
    ['the IPv6 metadata address', 'https://[fd00:ec2::254]/', /is not an allowed address/],
    ['a carrier-grade NAT address', 'https://100.64.1.2/hook', /is not an allowed address/],
    // Saying what an internal name resolves to would map our network for the tenant.
    ['a name that resolves to a private address', 'https://internal-vm.test/hook', /^internal-vm\.test resolves to an address that is not allowed$/],
    ['plain http to a public host', 'http://93.184.215.14/hook', /https/],
    ['credentials in the URL', 'https://user:pw@93.184.215.14/hook', /credentials/],
    ['another scheme', 'ftp://93.184.215.14/hook', /https/],
    ['something that is not a URL', 'not a url', /absolute URL/],
  ])('refuses %s at configure time, naming url', async (_what, url, reason) => {
    dnsTable.set('internal-vm.test', [{ address: '10.20.30.40', family: 4 }]);
    const token = await api.token({ tenantId: 'org-wh-refused' });
    const body = await json<{ error: { code: string; details: { field: string; message: string }[] } }>(
      await configure(token, { url, events: ['subscription.created'] }),
      400,
    );
    expect(body.error.code).toBe('invalid_request');
    expect(body.error.details).toEqual([{ field: 'url', message: expect.stringMatching(reason) }]);
  });

  it('refuses event types tenants cannot subscribe to, naming the field', async () => {
    const token = await api.token({ tenantId: 'org-wh-refused' });
    const body = await json<{ error: { details: { field: string }[] } }>(
      await configure(token, { url: receiver.url('/never'), events: ['subscription.created', 'invoice.exploded'] }),
      400,
    );
    expect(body.error.details.map((d) => d.field)).toEqual(['events.1']);
    const missing = await json<{ error: { details: { field: string }[] } }>(await configure(token, { events: ['invoice.paid'] }), 400);
    expect(missing.error.details.map((d) => d.field)).toEqual(['url']);
    expect((await api.call('/webhooks', { token }).then((r) => r.json())) as unknown).toEqual({ webhooks: [] });
  });

  it('refuses at delivery time a host name that has come to resolve to a private address (DNS rebinding)', async () => {
    const token = await api.token({ tenantId: 'org-wh-rebind' });
    dnsTable.set('rebind.test', [{ address: '127.0.0.1', family: 4 }]);
    const { webhook } = await created(token, { url: `http://rebind.test:${receiver.port}/rebind`, events: ['subscription.created'] });
    dnsTable.set('rebind.test', [
      { address: '127.0.0.1', family: 4 },
      { address: '10.0.0.7', family: 4 },
    ]);

    await subscribe(token);

    expect(receiver.at('/rebind')).toEqual([]);
    const { deliveries: attempts } = await deliveries(token);
    expect(attempts.length).toBeGreaterThan(0);
    for (const attempt of attempts) {
      expect(attempt).toMatchObject({ endpoint_id: webhook.id, status_code: null });
      expect(attempt.error).toBe('refused: rebind.test resolves to an address that is not allowed');
    }
    expect(byAttempt(attempts).at(-1)?.status).toBe('failed');
  });

  it("answers 404 for another tenant's webhook id, and leaves it alone", async () => {
    const owner = await api.token({ tenantId: 'org-wh-owner' });
    const other = await api.token({ tenantId: 'org-wh-other' });
    const { webhook } = await created(owner, { url: receiver.url('/owned'), events: ['invoice.paid'] });

    expect((await configure(other, { id: webhook.id, enabled: false })).status).toBe(404);
    expect((await api.call(`/webhooks/${webhook.id}/rotate-secret`, { method: 'POST', token: other })).status).toBe(404);
    expect((await api.call(`/webhooks/${webhook.id}`, { method: 'DELETE', token: other })).status).toBe(404);
    expect((await api.call('/webhooks/not-an-id', { method: 'DELETE', token: other })).status).toBe(404);
    expect(await json(await api.call('/webhooks', { token: other }), 200)).toEqual({ webhooks: [] });
    expect(await json(await api.call('/webhooks', { token: owner }), 200)).toEqual({ webhooks: [expect.objectContaining({ id: webhook.id, enabled: true })] });
  });

  it('rotates the signing secret: the new one signs at once, the old one too only during its grace period', async () => {
    const token = await api.token({ tenantId: 'org-wh-rotate' });
    const first = await created(token, { url: receiver.url('/rotate'), events: ['subscription.created', 'subscription.canceled'] });
    const second = await json<{ webhook: WebhookBody & { previous_secret_expires_at: string | null }; secret: string }>(
      await api.call(`/webhooks/${first.webhook.id}/rotate-secret`, { method: 'POST', token, json: { keep_previous_hours: 24 } }),
      200,
    );
    expect(second.secret).not.toBe(first.secret);
    expect(second.webhook.previous_secret_expires_at).toBe('2027-04-02T00:00:00.000Z');

    await subscribe(token);
    const [duringGrace] = receiver.at('/rotate');
    if (!duringGrace) throw new Error('the receiver got nothing');
    expect(duringGrace.headers['x-securenet-signature']).toMatch(/^v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
    expect(verifies(duringGrace, second.secret)).toBe(true);
    expect(verifies(duringGrace, first.secret)).toBe(true);

    const third = await json<{ secret: string }>(await api.call(`/webhooks/${first.webhook.id}/rotate-secret`, { method: 'POST', token }), 200);
    await json(await api.call('/subscriptions/cancel', { method: 'POST', token, json: { immediately: true } }), 200);
    await api.stack.settle();
    const afterRotation = receiver.at('/rotate').slice(1);
    expect(afterRotation.length).toBeGreaterThan(0);
    for (const request of afterRotation) {
      expect((JSON.parse(request.body) as DeliveredEvent).type).toBe('subscription.canceled');
      expect(verifies(request, third.secret)).toBe(true);
      expect(verifies(request, second.secret)).toBe(false);
    }
  });

  it('caps a tenant at 10 endpoints, and deleting one frees a place', async () => {
    const token = await api.token({ tenantId: 'org-wh-many' });
    const ids: string[] = [];
    for (let i = 0; i < 10; i += 1) ids.push((await created(token, { url: `https://93.184.215.14/hook-${i}`, events: ['overage.billed'] })).webhook.id);
    const refused = await json<{ error: { code: string } }>(await configure(token, { url: 'https://93.184.215.14/hook-10', events: ['overage.billed'] }), 409);
    expect(refused.error.code).toBe('conflict');

    expect(await json(await api.call(`/webhooks/${ids[3] ?? ''}`, { method: 'DELETE', token }), 200)).toEqual({ id: ids[3], deleted: true });
    expect((await api.call(`/webhooks/${ids[3] ?? ''}`, { method: 'DELETE', token })).status).toBe(404);
    await created(token, { url: 'https://93.184.215.14/hook-10', events: ['overage.billed'] });
    const { webhooks } = await json<{ webhooks: WebhookBody[] }>(await api.call('/webhooks', { token }), 200);
    expect(webhooks).toHaveLength(10);
  });
});
