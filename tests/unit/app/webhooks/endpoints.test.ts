import { describe, expect, it } from 'vitest';
import { Conflict, InvalidInput, NotFound } from '../../../../src/app/errors';
import { TargetRefused, type VettedTarget } from '../../../../src/app/ports/webhook-delivery';
import type { DeliveryAttempt, WebhookEndpoint } from '../../../../src/app/ports/webhooks';
import { ENDPOINT_ID, secretContext, WebhookEndpoints } from '../../../../src/app/webhooks/endpoints';
import { SecretBox } from '../../../../src/app/webhooks/secret-box';
import { InMemoryWebhookStore } from '../../../support/fakes/webhooks';

const box = SecretBox.fromKeyMaterial('endpoints-test-key-material-32-chars-long');
const CREATED = new Date('2027-03-01T09:00:00.000Z');
const LATER = new Date('2027-03-02T12:30:00.000Z');

/** The SSRF guard as a double: hosts named `internal.*` resolve to a private address and are refused. */
const vet = async (raw: string): Promise<VettedTarget> => {
  const url = new URL(raw);
  if (url.hostname.startsWith('internal.')) {
    throw new TargetRefused('must resolve to public addresses only', { detail: `${url.hostname} resolves to 10.0.0.7 (private)` });
  }
  return { url, addresses: [{ address: '93.184.215.14', family: 4 }] };
};

const setup = (options: { vet?: (url: string) => Promise<VettedTarget> } = {}) => {
  const store = new InMemoryWebhookStore();
  let now = CREATED;
  const endpoints = new WebhookEndpoints({
    repository: store,
    secretBox: async () => box,
    vet: options.vet ?? vet,
    clock: { now: () => now },
  });
  const setNow = (at: Date): void => {
    now = at;
  };
  return { store, endpoints, setNow };
};

const stored = async (store: InMemoryWebhookStore, tenantId: string, id: string): Promise<WebhookEndpoint> => {
  const endpoint = await store.get(tenantId, id);
  if (!endpoint) throw new Error(`endpoint ${id} is not stored`);
  return endpoint;
};

const rejection = async (promise: Promise<unknown>): Promise<unknown> => promise.then(() => new Error('expected a rejection'), (error: unknown) => error);

describe('WebhookEndpoints', () => {
  describe('create', () => {
    it('stores the endpoint with its secret sealed to it and shows the secret only in the answer', async () => {
      // Prepare
      const { store, endpoints } = setup();

      // Act
      const { webhook, secret } = await endpoints.create('org-1', { url: 'https://hooks.example.com/billing', events: ['invoice.paid'] });

      // Assess
      expect(webhook.id).toMatch(ENDPOINT_ID);
      expect(secret).toMatch(/^whsec_/);
      expect(webhook).toEqual({
        id: webhook.id,
        url: 'https://hooks.example.com/billing',
        events: ['invoice.paid'],
        enabled: true,
        created_at: CREATED.toISOString(),
        updated_at: CREATED.toISOString(),
        previous_secret_expires_at: null,
      });
      const endpoint = await stored(store, 'org-1', webhook.id);
      expect(endpoint.secret_sealed).not.toContain(secret);
      expect(box.open(endpoint.secret_sealed, secretContext('org-1', webhook.id))).toBe(secret);
      expect(() => box.open(endpoint.secret_sealed, secretContext('org-2', webhook.id))).toThrow();
      expect(JSON.stringify(await endpoints.list('org-1'))).not.toContain(secret);
    });

    it('stores the URL as the guard normalized it, with each event type once', async () => {
      // Prepare
      const { store, endpoints } = setup();

      // Act
      const { webhook } = await endpoints.create('org-1', {
        url: 'https://HOOKS.Example.com',
        events: ['invoice.paid', 'payment.failed', 'invoice.paid'],
        enabled: false,
      });

      // Assess
      expect(await stored(store, 'org-1', webhook.id)).toMatchObject({
        url: 'https://hooks.example.com/',
        events: ['invoice.paid', 'payment.failed'],
        enabled: false,
      });
    });

    it('refuses a URL the SSRF guard refuses, naming the url field, and stores nothing', async () => {
      // Prepare
      const { store, endpoints } = setup();

      // Act
      const error = await rejection(endpoints.create('org-1', { url: 'https://internal.example.com/hook', events: ['invoice.paid'] }));

      // Assess
      expect(error).toBeInstanceOf(InvalidInput);
      // The tenant reads why, never what the name resolved to (the guard's detail).
      expect(error).toMatchObject({ message: 'The webhook URL is not allowed', details: [{ field: 'url', message: 'must resolve to public addresses only' }] });
      expect(store.allEndpoints()).toEqual([]);
    });

    it('lets a guard failure that is not a refusal through as it is', async () => {
      // Prepare
      const outage = new Error('resolver unavailable');
      const { store, endpoints } = setup({ vet: () => Promise.reject(outage) });

      // Act
      const error = await rejection(endpoints.create('org-1', { url: 'https://hooks.example.com/', events: ['invoice.paid'] }));

      // Assess
      expect(error).toBe(outage);
      expect(store.allEndpoints()).toEqual([]);
    });

    it('refuses an eleventh endpoint of a tenant with a Conflict, and takes one again after a delete', async () => {
      // Prepare
      const { store, endpoints } = setup();
      const ids: string[] = [];
      for (let n = 1; n <= 10; n += 1) {
        ids.push((await endpoints.create('org-1', { url: `https://hooks.example.com/${n}`, events: ['invoice.paid'] })).webhook.id);
      }

      // Act
      const eleventh = await rejection(endpoints.create('org-1', { url: 'https://hooks.example.com/11', events: ['invoice.paid'] }));
      const otherTenant = await endpoints.create('org-2', { url: 'https://hooks.example.com/other', events: ['invoice.paid'] });
      await endpoints.remove('org-1', ids[0] ?? '');
      const afterDelete = await endpoints.create('org-1', { url: 'https://hooks.example.com/11', events: ['invoice.paid'] });

      // Assess
      expect(eleventh).toBeInstanceOf(Conflict);
      expect(otherTenant.webhook.id).toMatch(ENDPOINT_ID);
      expect(afterDelete.webhook.url).toBe('https://hooks.example.com/11');
      expect(await store.list('org-1')).toHaveLength(10);
    });
  });

  describe('update', () => {
    it('changes the URL, events and enabled flag and keeps the secret', async () => {
      // Prepare
      const { store, endpoints, setNow } = setup();
      const { webhook } = await endpoints.create('org-1', { url: 'https://hooks.example.com/a', events: ['invoice.paid'] });
      const before = await stored(store, 'org-1', webhook.id);
      setNow(LATER);

      // Act
      const updated = await endpoints.update('org-1', webhook.id, {
        url: 'https://HOOKS.example.com/b',
        events: ['payment.failed', 'payment.failed'],
        enabled: false,
      });

      // Assess
      expect(updated).toEqual({
        ...webhook,
        url: 'https://hooks.example.com/b',
        events: ['payment.failed'],
        enabled: false,
        updated_at: LATER.toISOString(),
      });
      expect((await stored(store, 'org-1', webhook.id)).secret_sealed).toBe(before.secret_sealed);
    });

    it('changes only what it is given', async () => {
      // Prepare
      const { endpoints, setNow } = setup();
      const { webhook } = await endpoints.create('org-1', { url: 'https://hooks.example.com/a', events: ['invoice.paid'] });
      setNow(LATER);

      // Act
      const updated = await endpoints.update('org-1', webhook.id, { enabled: false });

      // Assess
      expect(updated).toEqual({ ...webhook, enabled: false, updated_at: LATER.toISOString() });
    });

    it('refuses a URL the SSRF guard refuses and leaves the endpoint as it was', async () => {
      // Prepare
      const { store, endpoints } = setup();
      const { webhook } = await endpoints.create('org-1', { url: 'https://hooks.example.com/a', events: ['invoice.paid'] });
      const before = await stored(store, 'org-1', webhook.id);

      // Act
      const error = await rejection(endpoints.update('org-1', webhook.id, { url: 'https://internal.example.com/a', enabled: false }));

      // Assess
      expect(error).toBeInstanceOf(InvalidInput);
      expect(await stored(store, 'org-1', webhook.id)).toEqual(before);
    });

    it("answers NotFound for another tenant's endpoint and leaves it unchanged", async () => {
      // Prepare
      const { store, endpoints } = setup();
      const { webhook } = await endpoints.create('org-1', { url: 'https://hooks.example.com/a', events: ['invoice.paid'] });
      const before = await stored(store, 'org-1', webhook.id);

      // Act
      const error = await rejection(endpoints.update('org-2', webhook.id, { enabled: false }));

      // Assess
      expect(error).toBeInstanceOf(NotFound);
      expect(await stored(store, 'org-1', webhook.id)).toEqual(before);
      expect(await store.get('org-2', webhook.id)).toBeNull();
    });

    it('answers NotFound for an id that cannot exist, without vetting its URL', async () => {
      // Prepare
      const vetted: string[] = [];
      const { endpoints } = setup({
        vet: (url) => {
          vetted.push(url);
          return vet(url);
        },
      });

      // Act
      const error = await rejection(endpoints.update('org-1', '../we_other', { url: 'https://hooks.example.com/' }));

      // Assess
      expect(error).toBeInstanceOf(NotFound);
      expect(vetted).toEqual([]);
    });
  });

  describe('list', () => {
    it("lists only the tenant's endpoints, oldest first, without secrets", async () => {
      // Prepare
      const { endpoints, setNow } = setup();
      const first = await endpoints.create('org-1', { url: 'https://hooks.example.com/1', events: ['invoice.paid'] });
      await endpoints.create('org-2', { url: 'https://hooks.example.com/other', events: ['invoice.paid'] });
      setNow(LATER);
      const second = await endpoints.create('org-1', { url: 'https://hooks.example.com/2', events: ['payment.failed'] });

      // Act
      const listed = await endpoints.list('org-1');

      // Assess
      expect(listed).toEqual([first.webhook, second.webhook]);
      for (const view of listed) expect(Object.keys(view).filter((k) => k.includes('secret_sealed'))).toEqual([]);
    });

    it('lists nothing for a tenant with no endpoints', async () => {
      // Prepare
      const { endpoints } = setup();
      await endpoints.create('org-1', { url: 'https://hooks.example.com/1', events: ['invoice.paid'] });

      // Act
      const listed = await endpoints.list('org-2');

      // Assess
      expect(listed).toEqual([]);
    });
  });

  describe('rotateSecret', () => {
    it('seals a new secret, returns it once, and keeps the old one signing for the grace hours', async () => {
      // Prepare
      const { store, endpoints, setNow } = setup();
      const created = await endpoints.create('org-1', { url: 'https://hooks.example.com/a', events: ['invoice.paid'] });
      setNow(LATER);

      // Act
      const { webhook, secret } = await endpoints.rotateSecret('org-1', created.webhook.id, 24);

      // Assess
      const endpoint = await stored(store, 'org-1', webhook.id);
      const context = secretContext('org-1', webhook.id);
      expect(secret).toMatch(/^whsec_/);
      expect(secret).not.toBe(created.secret);
      expect(box.open(endpoint.secret_sealed, context)).toBe(secret);
      expect(box.open(endpoint.previous_secret_sealed ?? '', context)).toBe(created.secret);
      expect(webhook.previous_secret_expires_at).toBe('2027-03-03T12:30:00.000Z');
      expect(webhook.updated_at).toBe(LATER.toISOString());
      expect(JSON.stringify(webhook)).not.toContain(secret);
    });

    it('drops the old secret at once without grace hours, also one kept by an earlier rotation', async () => {
      // Prepare
      const { store, endpoints } = setup();
      const created = await endpoints.create('org-1', { url: 'https://hooks.example.com/a', events: ['invoice.paid'] });
      await endpoints.rotateSecret('org-1', created.webhook.id, 24);

      // Act
      const { webhook, secret } = await endpoints.rotateSecret('org-1', created.webhook.id, 0);

      // Assess
      const endpoint = await stored(store, 'org-1', webhook.id);
      expect(box.open(endpoint.secret_sealed, secretContext('org-1', webhook.id))).toBe(secret);
      expect(endpoint.previous_secret_sealed).toBeNull();
      expect(endpoint.previous_secret_expires_at).toBeNull();
    });

    it("answers NotFound for another tenant's endpoint and keeps its secret", async () => {
      // Prepare
      const { store, endpoints } = setup();
      const created = await endpoints.create('org-1', { url: 'https://hooks.example.com/a', events: ['invoice.paid'] });
      const before = await stored(store, 'org-1', created.webhook.id);

      // Act
      const error = await rejection(endpoints.rotateSecret('org-2', created.webhook.id, 24));

      // Assess
      expect(error).toBeInstanceOf(NotFound);
      expect(await stored(store, 'org-1', created.webhook.id)).toEqual(before);
    });
  });

  describe('deliveries', () => {
    const attempt = (tenantId: string, n: number): DeliveryAttempt => ({
      tenant_id: tenantId,
      endpoint_id: 'we_000000000000000000000001',
      event_id: `evt_${n}`,
      event_type: 'invoice.paid',
      attempt: 1,
      status: 'succeeded',
      status_code: 200,
      latency_ms: 40,
      error: null,
      attempted_at: `2027-03-01T09:0${n}:00.000Z`,
      next_attempt_at: null,
    });

    it("pages through the tenant's delivery attempts, newest first", async () => {
      // Prepare
      const { store, endpoints } = setup();
      for (const n of [1, 2, 3]) await store.recordAttempt(attempt('org-1', n), 0);
      await store.recordAttempt(attempt('org-2', 4), 0);

      // Act
      const first = await endpoints.deliveries('org-1', { limit: 2 });
      const second = await endpoints.deliveries('org-1', { limit: 2, cursor: first.nextCursor ?? undefined });

      // Assess
      expect(first.items.map((a) => a.event_id)).toEqual(['evt_3', 'evt_2']);
      expect(first.nextCursor).not.toBeNull();
      expect(second).toEqual({ items: [attempt('org-1', 1)], nextCursor: null });
    });
  });

  describe('remove', () => {
    it('deletes the endpoint, and a second delete is NotFound', async () => {
      // Prepare
      const { store, endpoints } = setup();
      const { webhook } = await endpoints.create('org-1', { url: 'https://hooks.example.com/a', events: ['invoice.paid'] });

      // Act
      await endpoints.remove('org-1', webhook.id);
      const again = await rejection(endpoints.remove('org-1', webhook.id));

      // Assess
      expect(await store.get('org-1', webhook.id)).toBeNull();
      expect(again).toBeInstanceOf(NotFound);
    });

    it("answers NotFound for another tenant's endpoint and deletes nothing", async () => {
      // Prepare
      const { store, endpoints } = setup();
      const { webhook } = await endpoints.create('org-1', { url: 'https://hooks.example.com/a', events: ['invoice.paid'] });

      // Act
      const error = await rejection(endpoints.remove('org-2', webhook.id));

      // Assess
      expect(error).toBeInstanceOf(NotFound);
      expect(await store.get('org-1', webhook.id)).not.toBeNull();
    });
  });
});
