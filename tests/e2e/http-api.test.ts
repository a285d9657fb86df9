import { request as httpRequest } from 'node:http';
import { SignJWT, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_REQUEST_BYTES } from '../../local/http-api';
import { LOCAL_AUDIENCE, LOCAL_ISSUER } from '../../local/jwt';
import { API_PREFIX } from '../../contracts/routes';
import { echoRouteTable } from '../support/fixtures/echo-routes';
import { startTestApi, type TestApi } from '../support/local-api';

let api: TestApi;
let tenantToken: string;

beforeAll(async () => {
  api = await startTestApi({ routeTable: echoRouteTable });
  tenantToken = await api.token({ tenantId: 'org-a', userId: 'u-1' });
});
afterAll(async () => api.stack.stop());

const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string; message: string; details?: { field: string; message: string }[] } }).error;

describe('local HTTP API: the JWT authorizer', () => {
  it('answers 401 before the handler when the token is missing', async () => {
    const res = await api.call('/echo/whoami');
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ message: 'Unauthorized' });
  });

  it('answers 401 for a malformed token', async () => {
    expect((await api.call('/echo/whoami', { token: 'not-a-jwt' })).status).toBe(401);
  });

  it('answers 401 for an expired token', async () => {
    const token = await api.token({ tenantId: 'org-a', expiresIn: '-1m' });
    expect((await api.call('/echo/whoami', { token })).status).toBe(401);
  });

  it('answers 401 for a token without exp, as API Gateway does', async () => {
    const token = await api.token({ tenantId: 'org-a', expiresIn: null });
    expect((await api.call('/echo/whoami', { token })).status).toBe(401);
  });

  it('answers 401 for a token issued in the future', async () => {
    const token = await new SignJWT({ 'custom:tenant_id': 'org-a' })
      .setProtectedHeader({ alg: 'ES256' })
      .setSubject('u-1')
      .setIssuer(LOCAL_ISSUER)
      .setAudience(LOCAL_AUDIENCE)
      .setIssuedAt('1h')
      .setExpirationTime('2h')
      .sign(api.stack.keys.privateKey);
    expect((await api.call('/echo/whoami', { token })).status).toBe(401);
  });

  it('answers 401 for a token meant for another audience or issuer', async () => {
    const wrongAud = await api.token({ tenantId: 'org-a', audience: 'someone-else' });
    const wrongIss = await api.token({ tenantId: 'org-a', issuer: 'https://evil.invalid' });
    expect((await api.call('/echo/whoami', { token: wrongAud })).status).toBe(401);
    expect((await api.call('/echo/whoami', { token: wrongIss })).status).toBe(401);
  });

  it('answers 401 for a token signed with another key', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const forged = await new SignJWT({ 'custom:tenant_id': 'org-a' })
      .setProtectedHeader({ alg: 'ES256' })
      .setSubject('u-1')
      .setIssuer(LOCAL_ISSUER)
      .setAudience(LOCAL_AUDIENCE)
      .setExpirationTime('1h')
      .sign(privateKey);
    expect((await api.call('/echo/whoami', { token: forged })).status).toBe(401);
  });

  it('passes verified claims to the handler, tenant from the claim only', async () => {
    const ok = await api.call('/echo/whoami?tenant_id=org-b', { token: tenantToken, headers: { 'x-tenant-id': 'org-b' } });
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as { principal: { tenantId: string; userId: string; admin: boolean }; request_id: string };
    expect(body.principal).toEqual({ tenantId: 'org-a', userId: 'u-1', admin: false });
    expect(body.request_id).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('local HTTP API: roles', () => {
  it('answers 403 on an admin route with a tenant token', async () => {
    const res = await api.call('/echo/admin', { token: tenantToken });
    expect(res.status).toBe(403);
    expect((await errorOf(res)).code).toBe('forbidden');
  });

  it('lets an admin token through', async () => {
    const token = await api.token({ admin: true, userId: 'admin-1' });
    const res = await api.call('/echo/admin', { token });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ admin: true });
  });

  it.each([
    ['a group whose name has the admin group after a comma', ['billing-admin,readonly']],
    ['a group whose name starts with the admin group', ['billing-admins']],
    ['the admin group in another case', ['Billing-Admin']],
    ['a plain-string claim with the admin group after a space', 'Not billing-admin'],
    ['a plain-string claim with the admin group before a comma', 'billing-admin,readonly'],
  ])('answers 403 on an admin route for %s', async (_, groups) => {
    const token = await api.token({ userId: 'not-admin', groups });
    const res = await api.call('/echo/admin', { token });
    expect(res.status).toBe(403);
    expect((await errorOf(res)).code).toBe('forbidden');
  });

  it('lets through a token whose group list has exactly the admin group among others', async () => {
    const token = await api.token({ userId: 'admin-2', groups: ['readonly', 'billing-admin'] });
    expect((await api.call('/echo/admin', { token })).status).toBe(200);
  });

  it('answers 403 on a tenant route with a token that carries no tenant', async () => {
    const token = await api.token({ userId: 'nobody' });
    expect((await api.call('/echo/whoami', { token })).status).toBe(403);
  });
});

describe('local HTTP API: bodies and errors', () => {
  it('answers 400 naming the body for malformed JSON', async () => {
    const res = await api.call('/echo/records', {
      method: 'POST',
      token: tenantToken,
      headers: { 'content-type': 'application/json' },
      body: '{"records": [',
    });
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe('invalid_request');
    expect(error.details?.[0]?.field).toBe('body');
  });

  it('answers 400 naming each bad field', async () => {
    const res = await api.call('/echo/records', {
      method: 'POST',
      token: tenantToken,
      json: { records: [{ resource_type: 'users', usage_amount: 1 }, { resource_type: 'cpu', usage_amount: -1 }] },
    });
    expect(res.status).toBe(400);
    const fields = (await errorOf(res)).details?.map((d) => d.field).sort();
    expect(fields).toEqual(['records.1.resource_type', 'records.1.usage_amount']);
  });

  it('answers 400 for unknown fields, such as a tenant id in the body', async () => {
    const res = await api.call('/echo/records', { method: 'POST', token: tenantToken, json: { records: [], tenant_id: 'org-b' } });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message).toMatch(/body/);
  });

  it('answers 415 for a body that is not JSON', async () => {
    const res = await api.call('/echo/records', { method: 'POST', token: tenantToken, headers: { 'content-type': 'text/plain' }, body: 'hi' });
    expect(res.status).toBe(415);
  });

  it('answers 413 for a body over the limit', async () => {
    const res = await api.call('/echo/records', { method: 'POST', token: tenantToken, json: { records: [], pad: 'x'.repeat(1_100_000) } });
    expect(res.status).toBe(413);
  });

  it('answers 413 for a body over API Gateway\'s quota as soon as it passes it', async () => {
    // Far more than the quota plus what socket buffers take: the answer comes before it is sent.
    const total = 64 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const { status, body, sent } = await new Promise<{ status: number; body: string; sent: number }>((resolve, reject) => {
      let sent = 0;
      let answered = false;
      const req = httpRequest(`${api.stack.apiUrl}${API_PREFIX}/echo/records`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tenantToken}`, 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      });
      req.on('response', (res) => {
        answered = true;
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8'), sent }));
      });
      // The server drops the connection while we may still write: expected once it has answered.
      req.on('error', (error) => (answered ? undefined : reject(error)));
      const pump = () => {
        while (!answered && sent < total) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        if (!answered) req.end();
      };
      pump();
    });
    expect(status).toBe(413);
    expect(JSON.parse(body)).toEqual({ message: 'Request Entity Too Large' });
    expect(sent).toBeLessThan(total);
    expect(sent).toBeGreaterThan(MAX_REQUEST_BYTES);
  });

  it('answers 413 at once for a declared length over the quota', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${api.stack.apiUrl}${API_PREFIX}/echo/records`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tenantToken}`, 'content-type': 'application/json', 'content-length': String(20 * 1024 * 1024) },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on('error', reject);
      req.write('{"records": [');
    });
    expect(status).toBe(413);
  });

  it('accepts a valid body', async () => {
    const res = await api.call('/echo/records', { method: 'POST', token: tenantToken, json: { records: [{ resource_type: 'api_calls', usage_amount: 3 }] } });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ tenant_id: 'org-a', count: 1 });
  });

  it('answers a bare 500 without internals when a handler fails', async () => {
    const res = await api.call('/echo/boom');
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ error: { code: 'internal_error', message: 'Internal server error' } });
    expect(text).not.toMatch(/secret/);
  });

  it('sets security headers on success and on errors', async () => {
    for (const res of [await api.call('/echo/boom'), await api.call('/echo/whoami', { token: tenantToken })]) {
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('strict-transport-security')).toMatch(/max-age=/);
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
  });
});

describe('local HTTP API: routing', () => {
  it('fills path parameters and prefers the literal route', async () => {
    expect(await (await api.call('/echo/items/org-a-item', { token: tenantToken })).json()).toEqual({ id: 'org-a-item' });
    expect(await (await api.call('/echo/items/special', { token: tenantToken })).json()).toEqual({ special: true });
  });

  it('answers 400 for a path parameter that is not valid percent-encoding', async () => {
    for (const path of ['/echo/items/%ZZ', '/echo/items/%', '/echo/items/%E0%A4%A']) {
      const res = await api.call(path, { token: tenantToken });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ message: 'Bad Request' });
    }
  });

  it('answers 404 for another tenant\'s id', async () => {
    const res = await api.call('/echo/items/org-b-item', { token: tenantToken });
    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe('not_found');
  });

  it('answers 404 for an unknown route or method, as API Gateway does', async () => {
    for (const res of [await api.call('/nope'), await api.call('/echo/boom', { method: 'DELETE' })]) {
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ message: 'Not Found' });
    }
  });
});
