import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Header names of a tenant webhook delivery. */
export const SIGNATURE_HEADERS = {
  timestamp: 'x-securenet-timestamp',
  signature: 'x-securenet-signature',
} as const;

/** How old a delivery's timestamp may be before a receiver should refuse it (replays). */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** A new signing secret: 32 random bytes, `whsec_`-prefixed. The whole string is the HMAC key. */
export const newSigningSecret = (): string => `whsec_${randomBytes(32).toString('base64url')}`;

/** Hex HMAC-SHA256 of `<timestamp>.<body>` under `secret` (the `v1` scheme). */
export const sign = (secret: string, timestamp: number, body: string): string =>
  createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');

/**
 * The `X-SecureNet-Signature` value: `v1=<hex>`, one per secret in use (two while a rotated
 * secret's grace period runs), comma-separated; a receiver accepts if any one matches.
 */
export const signatureHeader = (secrets: readonly string[], timestamp: number, body: string): string =>
  secrets.map((secret) => `v1=${sign(secret, timestamp, body)}`).join(',');

export interface SignedDelivery {
  /** The raw request body, exactly as received (before any JSON parsing). */
  readonly body: string;
  readonly timestamp: string | undefined;
  readonly signature: string | undefined;
}

/**
 * What a receiver does: the timestamp is recent, and one `v1` signature is the HMAC of
 * `<timestamp>.<body>` under the secret (compared in constant time).
 * @example
 * verifySignature({ body, timestamp: headers['x-securenet-timestamp'], signature: headers['x-securenet-signature'] }, secret);
 */
export const verifySignature = (
  delivery: SignedDelivery,
  secret: string,
  options: { readonly nowSeconds?: number; readonly toleranceSeconds?: number } = {},
): boolean => {
  const { timestamp, signature } = delivery;
  if (timestamp === undefined || !/^\d{1,12}$/.test(timestamp) || signature === undefined) return false;
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - Number(timestamp)) > (options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) return false;
  const expected = Buffer.from(sign(secret, Number(timestamp), delivery.body), 'hex');
  return signature
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.startsWith('v1='))
    .some((part) => {
      const given = Buffer.from(part.slice(3), 'hex');
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
};
