import { API_VERSION } from '../config';
import { invalidRequest } from '../errors';

const VERSION = /^(\d{4})-(\d{2})-(\d{2})(\.[a-z]+)?$/;

const isCalendarDate = (y: number, m: number, d: number): boolean => {
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
};

/**
 * The request's `Stripe-Version`. Absent means the account's default, which is the one version
 * this endpoint models (`API_VERSION`); that version itself is accepted. Stripe answers any
 * other real version in that version's shape, which this endpoint cannot do, so it refuses it
 * with a Stripe-shaped 400 naming the version it serves instead of answering in the wrong shape.
 * Text that is no version at all gets Stripe's own `Invalid Stripe API version` error.
 */
export const checkStripeVersion = (header: string | string[] | undefined): void => {
  if (header === undefined) return;
  const version = Array.isArray(header) ? header.join(', ') : header.trim();
  if (version === API_VERSION) return;
  const parts = VERSION.exec(version);
  const [y, m, d] = parts ? [Number(parts[1]), Number(parts[2]), Number(parts[3])] : [0, 0, 0];
  if (!parts || !isCalendarDate(y, m, d) || version > API_VERSION) throw invalidRequest(`Invalid Stripe API version: ${version}`);
  throw invalidRequest(
    `This local Stripe endpoint answers in API version ${API_VERSION} only; Stripe-Version ${version} is not modelled. ` +
      'Send no Stripe-Version (the account default) or that one; see docs/local-stripe.md.',
  );
};
