import { describe, expect, it } from 'vitest';
import { hashSecret, verifySecret } from '../../../../src/app/api-clients/secret-hash';

describe('hashSecret', () => {
  it('stores no trace of the secret, and a new salt each time', async () => {
    const secret = 'correct horse battery staple';
    const [one, two] = [await hashSecret(secret), await hashSecret(secret)];
    expect(one).toMatch(/^scrypt\$16384\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(one).not.toContain(secret);
    expect(one).not.toContain(Buffer.from(secret).toString('base64url'));
    expect(one).not.toBe(two);
  });
});

describe('verifySecret', () => {
  it('accepts the secret it was made from', async () => {
    expect(await verifySecret('s3cret-value', await hashSecret('s3cret-value'))).toBe(true);
  });

  it('refuses another secret, one character off, empty or longer', async () => {
    const stored = await hashSecret('s3cret-value');
    for (const other of ['s3cret-valuE', 's3cret-valu', '', 's3cret-value ', 'S3cret-value']) expect(await verifySecret(other, stored)).toBe(false);
  });

  it('refuses a malformed or foreign stored value instead of throwing', async () => {
    const stored = await hashSecret('x');
    for (const bad of ['', 'plain', stored.replace('scrypt', 'bcrypt'), stored.slice(0, -4), 'scrypt$16384$8$1$$']) {
      expect(await verifySecret('x', bad)).toBe(false);
    }
  });
});
