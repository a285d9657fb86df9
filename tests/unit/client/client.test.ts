import { describe, expect, it } from 'vitest';
import { BillingApiError, createBillingClient, fillPath, retryAfterMs, type BillingClientOptions } from '../../../packages/client';

interface Sent {
  readonly url: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body: string | undefined;
}

/** A fetch that answers from a script, one answer per call, and records what was sent. */
const scripted = (answers: Array<{ status: number; body?: unknown; headers?: Record<string, string> }>) => {
  const sent: Sent[] = [];
  const fetchFake: typeof fetch = async (input, init) => {
    sent.push({
      url: String(input),
      method: init?.method ?? 'GET',
      headers: { ...(init?.headers as Record<string, string>) },
      body: typeof init?.body === 'string' ? init.body : undefined,
    });
    const next = answers.shift();
    if (!next) throw new Error('no more scripted answers');
    return new Response(next.body === undefined ? '' : JSON.stringify(next.body), { status: next.status, headers: next.headers ?? {} });
  };
  return { sent, fetchFake };
};

const clientWith = (fetchFake: typeof fetch, extra: Partial<BillingClientOptions> = {}) => {
  const waits: number[] = [];
  let keys = 0;
  const client = createBillingClient({
    baseUrl: 'https://api.test/api/billing/',
    token: () => 'tok',
    fetch: fetchFake,
    sleep: async (ms) => {
      waits.push(ms);
    },
    newKey: () => `key-${++keys}`,
    ...extra,
  });
  return { client, waits };
};

describe('the typed billing client', () => {
  it('sends the route table method and path, the token, the query and the JSON body', async () => {
    const { sent, fetchFake } = scripted([{ status: 200, body: { items: [], next_cursor: null } }, { status: 202, body: { accepted: 1 } }]);
    const { client } = clientWith(fetchFake);
    await client.call('usageHistory', { query: { resource_type: 'api_calls', limit: 5 } });
    await client.call('trackUsage', { body: { resource_type: 'api_calls', usage_amount: 3 } });
    expect(sent[0]).toMatchObject({ method: 'GET', url: 'https://api.test/api/billing/usage/history?resource_type=api_calls&limit=5', body: undefined });
    expect(sent[0]?.headers.authorization).toBe('Bearer tok');
    expect(sent[0]?.headers['idempotency-key']).toBeUndefined();
    expect(sent[1]).toMatchObject({ method: 'POST', url: 'https://api.test/api/billing/usage/track' });
    expect(JSON.parse(sent[1]?.body ?? '')).toEqual({ resource_type: 'api_calls', usage_amount: 3 });
    expect(sent[1]?.headers['content-type']).toBe('application/json');
  });

  it('fills and encodes path parameters', async () => {
    const { sent, fetchFake } = scripted([{ status: 404, body: { error: { code: 'not_found', message: 'No such invoice' } } }]);
    const { client } = clientWith(fetchFake);
    await expect(client.call('getInvoice', { params: { id: 'in_1/../x' } })).rejects.toMatchObject({ status: 404, code: 'not_found', message: 'No such invoice' });
    expect(sent[0]?.url).toBe('https://api.test/api/billing/invoices/in_1%2F..%2Fx');
    expect(() => fillPath('/invoices/{id}', {})).toThrow(/id is missing/);
  });

  it('retries a 429 after Retry-After with the same Idempotency-Key, then returns the answer', async () => {
    const { sent, fetchFake } = scripted([
      { status: 429, body: { error: { code: 'rate_limited', message: 'slow down' } }, headers: { 'retry-after': '2' } },
      { status: 429, body: { error: { code: 'rate_limited', message: 'slow down' } }, headers: { 'retry-after': '1' } },
      { status: 202, body: { accepted: 1 } },
    ]);
    const { client, waits } = clientWith(fetchFake);
    expect(await client.call('trackUsage', { body: { resource_type: 'devices', usage_amount: 1 } })).toEqual({ accepted: 1 });
    expect(waits).toEqual([2000, 1000]);
    expect(sent.map((s) => s.headers['idempotency-key'])).toEqual(['key-1', 'key-1', 'key-1']);
  });

  it('uses the caller key when given, and a new key per call otherwise', async () => {
    const { sent, fetchFake } = scripted([{ status: 202, body: { accepted: 1 } }, { status: 202, body: { accepted: 1 } }, { status: 202, body: { accepted: 1 } }]);
    const { client } = clientWith(fetchFake);
    const body = { resource_type: 'alerts', usage_amount: 1 } as const;
    await client.call('trackUsage', { body, idempotencyKey: 'mine' });
    await client.call('trackUsage', { body });
    await client.call('trackUsage', { body });
    expect(sent.map((s) => s.headers['idempotency-key'])).toEqual(['mine', 'key-1', 'key-2']);
  });

  it('backs off exponentially when a 429 or a GET 503 gives no Retry-After, and stops after the policy attempts', async () => {
    const busy = { status: 503, body: { error: { code: 'service_unavailable', message: 'busy' } } };
    const { sent, fetchFake } = scripted([busy, busy, busy]);
    const { client, waits } = clientWith(fetchFake, { retry: { attempts: 3, baseDelayMs: 100 } });
    const failure = await client.call('currentUsage').catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(BillingApiError);
    expect(failure).toMatchObject({ status: 503, code: 'service_unavailable' });
    expect(sent).toHaveLength(3);
    expect(waits).toEqual([100, 200]);
  });

  it('caps a long Retry-After at maxDelayMs and reads an HTTP date', async () => {
    expect(retryAfterMs('Wed, 21 Oct 2015 07:28:05 GMT', Date.parse('2015-10-21T07:28:00Z'))).toBe(5000);
    expect(retryAfterMs('soon', 0)).toBeNull();
    expect(retryAfterMs(null, 0)).toBeNull();
    const { fetchFake } = scripted([{ status: 429, headers: { 'retry-after': '3600' } }, { status: 200, body: { plans: [] } }]);
    const { client, waits } = clientWith(fetchFake, { retry: { maxDelayMs: 5000 } });
    await client.call('listPlans');
    expect(waits).toEqual([5000]);
  });

  it('does not retry a 503 on a write whose route does not honour the key', async () => {
    const { sent, fetchFake } = scripted([{ status: 503, body: { error: { code: 'service_unavailable', message: 'busy' } } }]);
    const { client } = clientWith(fetchFake);
    await expect(client.call('rotateWebhookSecret', { params: { id: 'we_1' }, body: { keep_previous_hours: 24 } })).rejects.toMatchObject({ status: 503 });
    expect(sent).toHaveLength(1);
  });

  it('retries a 503 on a write whose route honours the Idempotency-Key, with the same key', async () => {
    const busy = { status: 503, body: { error: { code: 'service_unavailable', message: 'busy' } }, headers: { 'retry-after': '1' } };
    const { sent, fetchFake } = scripted([busy, { status: 201, body: { subscription: { id: 'sub_1' } } }]);
    const { client, waits } = clientWith(fetchFake);
    await client.call('createSubscription', { body: { plan_id: 'starter', billing_cycle: 'monthly' } });
    expect(sent.map((s) => s.headers['idempotency-key'])).toEqual(['key-1', 'key-1']);
    expect(waits).toEqual([1000]);
  });

  it('names the fields of a 400, tells the page about a 401, and reports an unreachable API as status 0', async () => {
    const { fetchFake } = scripted([
      { status: 400, body: { error: { code: 'invalid_request', message: 'Invalid body', details: [{ field: 'usage_amount', message: 'too big' }] } } },
      { status: 401, body: { message: 'Unauthorized' } },
    ]);
    let signedOut = 0;
    const { client } = clientWith(fetchFake, { onUnauthorized: () => signedOut++ });
    await expect(client.call('trackUsage', { body: { resource_type: 'api_calls', usage_amount: 1 } })).rejects.toMatchObject({
      status: 400,
      details: [{ field: 'usage_amount', message: 'too big' }],
    });
    await expect(client.call('currentUsage')).rejects.toMatchObject({ status: 401, message: 'Unauthorized' });
    expect(signedOut).toBe(1);
    const offline = createBillingClient({ baseUrl: 'https://x', fetch: async () => Promise.reject(new TypeError('fetch failed')) });
    await expect(offline.call('listPlans')).rejects.toMatchObject({ status: 0 });
  });

  it('answers a raw request as it came, without throwing or retrying', async () => {
    const { sent, fetchFake } = scripted([{ status: 429, body: { error: { code: 'rate_limited', message: 'slow' } }, headers: { 'retry-after': '1' } }]);
    const { client } = clientWith(fetchFake);
    const answer = await client.raw({ method: 'POST', path: '/usage/track', json: { bogus: true } });
    expect(answer.status).toBe(429);
    expect(JSON.parse(answer.text)).toMatchObject({ error: { code: 'rate_limited' } });
    expect(sent).toHaveLength(1);
  });
});

describe('a client that sends only the keys it is given', () => {
  it('sends no Idempotency-Key on a write without one', async () => {
    const { sent, fetchFake } = scripted([{ status: 202, body: { accepted: 1 } }, { status: 202, body: { accepted: 1 } }]);
    const { client } = clientWith(fetchFake, { idempotencyKeys: 'given' });
    await client.call('trackUsage', { body: { resource_type: 'api_calls', usage_amount: 1 } });
    await client.call('trackUsage', { body: { resource_type: 'api_calls', usage_amount: 1 }, idempotencyKey: 'k' });
    expect(sent.map((s) => s.headers['idempotency-key'])).toEqual([undefined, 'k']);
  });
});
