import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newSigningSecret, sign, signatureHeader, verifySignature } from '../../../../src/app/webhooks/signature';

const secret = 'whsec_test_secret_for_the_unit_tests_only';
const body = '{"id":"evt_1","type":"invoice.paid","created_at":"2027-01-01T00:00:00.000Z","tenant_id":"org-1","data":{}}';
const timestamp = 1_800_000_000;

describe('sign', () => {
  it('is the hex HMAC-SHA256 of "<timestamp>.<body>" under the whole secret string', () => {
    const expected = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
    expect(sign(secret, timestamp, body)).toBe(expected);
    expect(sign(secret, timestamp, body)).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('signatureHeader', () => {
  it('writes v1=<hex> per secret, comma-separated', () => {
    expect(signatureHeader([secret], timestamp, body)).toBe(`v1=${sign(secret, timestamp, body)}`);
    expect(signatureHeader([secret, 'whsec_old'], timestamp, body)).toBe(`v1=${sign(secret, timestamp, body)},v1=${sign('whsec_old', timestamp, body)}`);
  });
});

describe('newSigningSecret', () => {
  it('makes a different whsec_ secret of 32 random bytes each time', () => {
    const a = newSigningSecret();
    expect(a).toMatch(/^whsec_[\w-]{43}$/);
    expect(newSigningSecret()).not.toBe(a);
  });
});

describe('verifySignature', () => {
  const delivered = { body, timestamp: String(timestamp), signature: signatureHeader([secret], timestamp, body) };
  const at = { nowSeconds: timestamp + 10 };

  it('accepts what was signed with the secret', () => {
    expect(verifySignature(delivered, secret, at)).toBe(true);
  });

  it('accepts when any one of several signatures matches (rotation)', () => {
    expect(verifySignature({ ...delivered, signature: signatureHeader(['whsec_new', secret], timestamp, body) }, secret, at)).toBe(true);
  });

  it.each([
    ['another secret', { ...delivered }, 'whsec_other', at],
    ['a changed body', { ...delivered, body: body.replace('org-1', 'org-2') }, secret, at],
    ['a changed timestamp', { ...delivered, timestamp: String(timestamp + 1) }, secret, at],
    ['a timestamp older than the tolerance', { ...delivered }, secret, { nowSeconds: timestamp + 301 }],
    ['a timestamp from the future beyond the tolerance', { ...delivered }, secret, { nowSeconds: timestamp - 301 }],
    ['no timestamp', { ...delivered, timestamp: undefined }, secret, at],
    ['a timestamp that is not a number', { ...delivered, timestamp: '1e9' }, secret, at],
    ['no signature', { ...delivered, signature: undefined }, secret, at],
    ['another scheme', { ...delivered, signature: delivered.signature.replace('v1=', 'v0=') }, secret, at],
    ['a truncated signature', { ...delivered, signature: delivered.signature.slice(0, -2) }, secret, at],
  ])('refuses %s', (_what, delivery, key, options) => {
    expect(verifySignature(delivery, key, options)).toBe(false);
  });
});
