import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pinnedLookup, sendWebhook } from '../../../../src/adapters/webhooks/http-sender';
import type { ResolvedAddress } from '../../../../src/app/ports/webhook-delivery';

let server: Server;
let port = 0;
const seen: { url: string; headers: IncomingHttpHeaders; body: string }[] = [];
/** Answers the receiver still owes. */
const unanswered: (() => void)[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      if (req.url === '/redirect') res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
      // Answers only when the test releases it: a result before that cannot have waited for it.
      else if (req.url === '/slow') unanswered.push(() => res.writeHead(200).end());
      else res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const loopback: ResolvedAddress[] = [{ address: '127.0.0.1', family: 4 }];

const post = (path: string, timeoutMs = 1_000, host = 'receiver.invalid') =>
  sendWebhook({
    target: { url: new URL(`http://${host}:${port}${path}`), addresses: loopback },
    headers: { 'content-type': 'application/json', 'x-securenet-signature': 'v1=abc' },
    body: '{"id":"evt_1"}',
    timeoutMs,
  });

describe('sendWebhook', () => {
  it('connects to the vetted address, never asking DNS for the host name again', async () => {
    // `.invalid` never resolves: only the pinned address can have been used.
    const result = await post('/ok');
    expect(result).toMatchObject({ statusCode: 204, error: null });
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    const request = seen.find((r) => r.url === '/ok');
    expect(request?.headers.host).toBe(`receiver.invalid:${port}`);
    expect(request?.headers['content-length']).toBe('14');
    expect(request?.body).toBe('{"id":"evt_1"}');
  });

  it('does not follow a redirect: the attempt fails with the 3xx', async () => {
    const result = await post('/redirect');
    expect(result.statusCode).toBe(302);
    expect(result.error).toBe('redirect not followed (to http://169.254.169.254/latest/meta-data/)');
    expect(seen.filter((r) => r.url.startsWith('/latest'))).toEqual([]);
  });

  it('gives up after the timeout', async () => {
    const result = await post('/slow', 200);
    // The receiver answers only once released below: the attempt ended on its own timeout, not on an answer.
    expect(result).toMatchObject({ statusCode: null, error: 'timed out after 200 ms' });
    for (const answer of unanswered.splice(0)) answer();
  });

  it('reports a refused connection', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const result = await sendWebhook({
      target: { url: new URL(`http://receiver.invalid:${closedPort}/`), addresses: loopback },
      headers: {},
      body: '{}',
      timeoutMs: 1_000,
    });
    expect(result.statusCode).toBeNull();
    expect(result.error).toMatch(/ECONNREFUSED/);
  });
});

describe('pinnedLookup', () => {
  const addresses: ResolvedAddress[] = [
    { address: '93.184.215.14', family: 4 },
    { address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c', family: 6 },
  ];
  const ask = (lookup: LookupFunction, options: Parameters<LookupFunction>[1]) =>
    new Promise<{ error: Error | null; address: unknown; family: unknown }>((resolve) =>
      lookup('anything.example.com', options, (error, address, family) => resolve({ error, address, family })),
    );

  it('answers every vetted address when asked for all (happy eyeballs)', async () => {
    expect((await ask(pinnedLookup(addresses), { all: true })).address).toEqual(addresses);
  });

  it('answers the first vetted address of the family asked for', async () => {
    expect(await ask(pinnedLookup(addresses), {})).toMatchObject({ error: null, address: '93.184.215.14', family: 4 });
    expect(await ask(pinnedLookup(addresses), { family: 6 })).toMatchObject({ address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c', family: 6 });
  });

  it('fails rather than answer an address that was not vetted', async () => {
    const { error } = await ask(pinnedLookup([{ address: '93.184.215.14', family: 4 }]), { family: 6 });
    expect(error).toMatchObject({ code: 'ENOTFOUND' });
  });
});
