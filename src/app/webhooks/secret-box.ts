import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const INFO = 'securenet-billing/webhook-signing-secrets/v1';

/**
 * Encrypts tenants' webhook signing secrets at rest with AES-256-GCM. The secrets must be
 * recoverable to sign deliveries, so they are encrypted, not hashed. The 256-bit key is derived
 * (HKDF-SHA256) from key material kept outside the table: a Secrets Manager secret in AWS, an
 * environment variable locally. Each ciphertext is bound to its owner (`context`, e.g. tenant
 * and endpoint id) as additional authenticated data, so one cannot be moved to another endpoint.
 */
export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  /** @example SecretBox.fromKeyMaterial(process.env.WEBHOOK_SECRETS_KEY) */
  static fromKeyMaterial(material: string): SecretBox {
    if (material.length < 32) throw new Error('webhook secrets key material must be at least 32 characters');
    return new SecretBox(Buffer.from(hkdfSync('sha256', Buffer.from(material, 'utf8'), Buffer.alloc(0), INFO, 32)));
  }

  /** `v1.<iv>.<ciphertext>.<tag>`, base64url parts. */
  seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, iv, ciphertext, cipher.getAuthTag()].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
  }

  /** The plaintext; throws when the value was altered, sealed for another context or under another key. */
  open(sealed: string, context: string): string {
    const [version, iv, ciphertext, tag, ...rest] = sealed.split('.');
    if (version !== VERSION || iv === undefined || ciphertext === undefined || tag === undefined || rest.length > 0) {
      throw new Error('not a sealed webhook secret');
    }
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'), { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  }
}
