import { describe, expect, it } from 'vitest';
import { checkUrlShape, vetTarget, type Resolver } from '../../../../src/adapters/webhooks/target-guard';
import { TargetRefused } from '../../../../src/app/ports/webhook-delivery';

const strict = { allowLoopback: false };
const local = { allowLoopback: true };

const resolverOf =
  (table: Record<string, string[]>): Resolver =>
  async (host) => {
    const addresses = table[host];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

const dns = resolverOf({
  'hooks.example.com': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
  'internal.example.com': ['10.1.2.3'],
  'mixed.example.com': ['93.184.215.14', '192.168.0.10'],
  'metadata.example.com': ['169.254.169.254'],
  'mapped.example.com': ['::ffff:172.16.0.1'],
  localhost: ['127.0.0.1', '::1'],
  'nothing.example.com': [],
});

const refused = async (url: string, policy = strict): Promise<TargetRefused> => {
  try {
    await vetTarget(url, policy, dns);
  } catch (error) {
    if (error instanceof TargetRefused) return error;
    throw error;
  }
  throw new Error(`${url} was not refused`);
};
const refusal = async (url: string, policy = strict): Promise<string> => (await refused(url, policy)).message;

describe('checkUrlShape', () => {
  it('accepts an https URL and normalizes it', () => {
    expect(checkUrlShape('https://Hooks.Example.com:8443/a/../b?x=1', strict).href).toBe('https://hooks.example.com:8443/b?x=1');
  });

  it.each([
    ['http://hooks.example.com/', /https/],
    ['ftp://hooks.example.com/', /https/],
    ['file:///etc/passwd', /https/],
    ['https://user:secret@hooks.example.com/', /credentials/],
    ['https://hooks.example.com/#frag', /fragment/],
    ['/relative/path', /absolute/],
    [`https://hooks.example.com/${'a'.repeat(2100)}`, /2048/],
  ])('refuses %s', (url, reason) => {
    expect(() => checkUrlShape(url, strict)).toThrow(reason);
  });

  it('lets http through the shape check only with the local allowance (the addresses decide)', () => {
    expect(checkUrlShape('http://localhost:4000/hook', local).protocol).toBe('http:');
  });
});

describe('vetTarget', () => {
  it('returns the URL with every address its host resolves to', async () => {
    const target = await vetTarget('https://hooks.example.com/in', strict, dns);
    expect(target.url.href).toBe('https://hooks.example.com/in');
    expect(target.addresses.map((a) => a.address)).toEqual(['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c']);
  });

  it('takes an IP literal as its own address without asking DNS', async () => {
    const target = await vetTarget('https://93.184.215.14/in', strict, () => Promise.reject(new Error('no DNS here')));
    expect(target.addresses).toEqual([{ address: '93.184.215.14', family: 4 }]);
  });

  it.each([
    ['https://169.254.169.254/latest/meta-data/', '169.254.169.254 is not an allowed address', '169.254.169.254: not a public address (metadata)'],
    ['https://10.0.0.1/hook', '10.0.0.1 is not an allowed address', '10.0.0.1: not a public address (private)'],
    ['https://[::1]/hook', '::1 is not an allowed address', '::1: not a public address (loopback)'],
    ['https://[::ffff:10.0.0.1]/hook', '::ffff:a00:1 is not an allowed address', '::ffff:a00:1 (10.0.0.1): not a public address (private)'],
    ['https://[fd00:ec2::254]/hook', 'fd00:ec2::254 is not an allowed address', 'fd00:ec2::254: not a public address (metadata)'],
    ['https://0x7f.1/hook', '127.0.0.1 is not an allowed address', '127.0.0.1: not a public address (loopback)'],
    ['https://2130706433/hook', '127.0.0.1 is not an allowed address', '127.0.0.1: not a public address (loopback)'],
    ['https://internal.example.com/hook', 'internal.example.com resolves to an address that is not allowed', 'internal.example.com resolves to 10.1.2.3: not a public address (private)'],
    ['https://mixed.example.com/hook', 'mixed.example.com resolves to an address that is not allowed', 'mixed.example.com resolves to 192.168.0.10: not a public address (private)'],
    [
      'https://metadata.example.com/hook',
      'metadata.example.com resolves to an address that is not allowed',
      'metadata.example.com resolves to 169.254.169.254: not a public address (metadata)',
    ],
    [
      'https://mapped.example.com/hook',
      'mapped.example.com resolves to an address that is not allowed',
      'mapped.example.com resolves to ::ffff:172.16.0.1 (172.16.0.1): not a public address (private)',
    ],
    ['https://localhost/hook', 'localhost resolves to an address that is not allowed', 'localhost resolves to 127.0.0.1: not a public address (loopback)'],
  ])('refuses %s, telling the tenant only that the address is not allowed', async (url, message, detail) => {
    const error = await refused(url);
    expect(error.message).toBe(message);
    expect(error.detail).toBe(detail);
  });

  it.each([
    ['https://unknown.example.com/hook', 'unknown.example.com does not resolve'],
    ['https://nothing.example.com/hook', 'nothing.example.com does not resolve'],
  ])('refuses %s', async (url, message) => {
    expect(await refusal(url)).toBe(message);
  });

  it('never shows the tenant what a name resolves to', async () => {
    for (const url of ['https://internal.example.com/', 'https://metadata.example.com/', 'https://mapped.example.com/', 'https://localhost/']) {
      expect(await refusal(url)).not.toMatch(/\d+\.\d+\.\d+\.\d+|::|private|loopback|metadata \(|\(metadata\)/);
    }
  });

  describe('with the local allowance', () => {
    it('accepts http and https to loopback', async () => {
      expect((await vetTarget('http://localhost:4000/hook', local, dns)).addresses).toHaveLength(2);
      expect((await vetTarget('http://127.0.0.1:4000/hook', local, dns)).url.port).toBe('4000');
      expect((await vetTarget('https://[::1]:4000/hook', local, dns)).addresses).toEqual([{ address: '::1', family: 6 }]);
    });

    it('still refuses every other private range, and http to public hosts', async () => {
      expect((await refused('http://10.0.0.1/hook', local)).detail).toMatch(/private/);
      expect((await refused('https://169.254.169.254/', local)).detail).toMatch(/metadata/);
      expect((await refused('http://internal.example.com/', local)).detail).toMatch(/private/);
      expect(await refusal('http://hooks.example.com/', local)).toBe('must be an https:// URL');
    });
  });
});
