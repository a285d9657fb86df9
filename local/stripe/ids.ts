import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Random base62 text, the look of the tail of a Stripe id. */
export const randomToken = (length: number): string => {
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += ALPHABET[b % ALPHABET.length];
  return out;
};

/** Stripe-looking ids: `cus_`, `sub_`, `in_`, `ii_`, `il_`, `si_`, `price_`, `prod_`, `pm_`, `sub_sched_`, `clock_`, `evt_`, `req_`. */
export const newId = (prefix: string): string => `${prefix}_${randomToken(24)}`;

/** An invoice number prefix, eight upper-case letters and digits, as Stripe assigns per customer. */
export const invoicePrefix = (): string => randomToken(16).toUpperCase().replace(/[^A-Z0-9]/g, '').slice(0, 8).padEnd(8, 'X');
