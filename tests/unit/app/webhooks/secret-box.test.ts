import { describe, expect, it } from 'vitest';
import { SecretBox } from '../../../../src/app/webhooks/secret-box';

const box = SecretBox.fromKeyMaterial('local-key-material-of-at-least-32-characters');
const secret = 'whsec_fA3k2N0lq1Yb9c8d7e6f5g4h3i2j1k0lMnOpQrStUvW';
const context = 'org-1/we_000000000000000000000001';

describe('SecretBox', () => {
  describe('seal and open', () => {
    it('round-trips a secret', () => {
      expect(box.open(box.seal(secret, context), context)).toBe(secret);
    });

    it('never stores the plaintext, and seals the same secret differently each time (random IV)', () => {
      const a = box.seal(secret, context);
      const b = box.seal(secret, context);
      expect(a).not.toContain(secret);
      expect(a).not.toBe(b);
      expect(a).toMatch(/^v1\.[\w-]{16}\.[\w-]+\.[\w-]{22}$/);
    });
  });

  describe('open', () => {
    it('throws for a value sealed for another endpoint or tenant', () => {
      expect(() => box.open(box.seal(secret, context), 'org-2/we_000000000000000000000001')).toThrow();
    });

    it('throws for a value sealed under another key', () => {
      const other = SecretBox.fromKeyMaterial('another-key-material-of-at-least-32-chars');
      expect(() => other.open(box.seal(secret, context), context)).toThrow();
    });

    it('throws for a tampered ciphertext', () => {
      const [version, iv, ciphertext = '', tag] = box.seal(secret, context).split('.');
      const flipped = Buffer.from(ciphertext, 'base64url');
      flipped[0] = (flipped[0] ?? 0) ^ 1;
      expect(() => box.open([version, iv, flipped.toString('base64url'), tag].join('.'), context)).toThrow();
    });

    it('throws for something that is not a sealed value', () => {
      expect(() => box.open(secret, context)).toThrow('not a sealed webhook secret');
    });
  });

  describe('fromKeyMaterial', () => {
    it('refuses key material shorter than 32 characters', () => {
      expect(() => SecretBox.fromKeyMaterial('short')).toThrow(/32/);
    });
  });
});
