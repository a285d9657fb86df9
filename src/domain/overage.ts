import { overageRateMilli, type Catalog, type Plan } from './catalog';
import { billableQuantity, quantityOf, type Tally } from './metering';
import { divideRoundHalfUp, MILLI_PER_MINOR, milliToMinor, type Currency } from './money';
import { RESOURCES, type Resource } from './resources';

/**
 * One resource's overage in a closed usage period (SPEC section 5). Quantities and the amount
 * are `bigint`: a period's counter sum can pass 2^53, and so can its amount.
 */
export interface OverageLine {
  readonly resource: Resource;
  /** The billable quantity: peak or sum, storage per started GB. */
  readonly quantity: bigint;
  readonly included: bigint;
  readonly overage: bigint;
  /** Minor units per unit, possibly fractional (GBP API calls: 0.8). */
  readonly unit_price: number;
  /** `overage x rate`, integer minor units, rounded half up once. */
  readonly amount: bigint;
  readonly currency: Currency;
}

/**
 * `overage x rate` in minor units, the rate in milli-minor units per unit; exact for any
 * overage, rounded half up once (0.8p x 1,001 calls = 800.8p -> 801p).
 * @example overageAmount(1_001n, 800) // 801n
 */
export const overageAmount = (overage: bigint, rateMilli: number): bigint => {
  if (overage < 0n) throw new RangeError(`overage must not be negative, got ${overage}`);
  if (!Number.isSafeInteger(rateMilli) || rateMilli < 0) {
    throw new RangeError(`rate must be a non-negative integer of milli-minor units, got ${rateMilli}`);
  }
  return divideRoundHalfUp(overage * BigInt(rateMilli), BigInt(MILLI_PER_MINOR));
};

/**
 * `max(0, quantity - included) x rate` per resource, in the tenant's currency.
 * @example computeOverages(tally, starter, 'usd').filter((l) => l.amount > 0n)
 */
export const computeOverages = (tally: Tally, plan: Plan, currency: Currency, catalog?: Catalog): OverageLine[] =>
  RESOURCES.map((resource) => {
    const quantity = billableQuantity(resource, quantityOf(tally, resource));
    const included = BigInt(plan.limits[resource]);
    const overage = quantity > included ? quantity - included : 0n;
    const rate = overageRateMilli(currency, resource, catalog);
    return { resource, quantity, included, overage, unit_price: milliToMinor(rate), amount: overageAmount(overage, rate), currency };
  });

/**
 * Whether a period's usage so far bills anything on a plan: some resource past its quota (as
 * `computeOverages` bills it: storage per started GB). Usage only grows, so once true it stays
 * true; the aggregator then puts the period on the overage run's index.
 * @example mayBill({ counters: { api_calls: 10_001n }, peaks: {}, late: {} }, starter) // true
 */
export const mayBill = (tally: Tally, plan: Plan): boolean =>
  RESOURCES.some((resource) => billableQuantity(resource, quantityOf(tally, resource)) > BigInt(plan.limits[resource]));

/**
 * The largest amount of one Stripe invoice item, in minor units: Stripe's documented technical
 * limit is 8 digits (99,999,999).
 */
export const STRIPE_MAX_ITEM_AMOUNT = 99_999_999;

/**
 * The most parts `stripeItemParts` makes for one line (amounts up to ~10^10 minor units, about
 * 100 million in the currency): a Stripe invoice holds at most 250 items, and a larger overage
 * is refused (the biller records the line as failed for an admin) rather than split into
 * thousands of items.
 */
export const STRIPE_MAX_ITEM_PARTS = 100;

/**
 * Splits a line's amount into invoice-item amounts Stripe accepts: each at most
 * `STRIPE_MAX_ITEM_AMOUNT`, summing exactly to `amount`, full parts first and the remainder
 * last, so part n of a line always has the same amount (a re-run recreates the same items
 * under the same idempotency keys). An amount of zero has no parts. Throws a RangeError for a
 * negative amount or one that needs more than `STRIPE_MAX_ITEM_PARTS` parts.
 * @example stripeItemParts(250_000_000n) // [99999999, 99999999, 50000002]
 */
export const stripeItemParts = (amount: bigint): number[] => {
  if (amount < 0n) throw new RangeError(`an overage amount is never negative, got ${amount}`);
  const max = BigInt(STRIPE_MAX_ITEM_AMOUNT);
  const full = amount / max;
  const rest = Number(amount % max);
  const count = full + (rest > 0 ? 1n : 0n);
  if (count > BigInt(STRIPE_MAX_ITEM_PARTS)) {
    throw new RangeError(`an amount of ${amount} needs ${count} invoice items, more than ${STRIPE_MAX_ITEM_PARTS}`);
  }
  const parts: number[] = Array.from({ length: Number(full) }, () => STRIPE_MAX_ITEM_AMOUNT);
  if (rest > 0) parts.push(rest);
  return parts;
};

const LABELS: Record<Resource, string> = {
  users: 'users',
  devices: 'devices',
  storage_gb: 'GB of storage',
  api_calls: 'API calls',
  alerts: 'alerts',
};

/**
 * The invoice line text, with every digit of the quantities.
 * @example overageDescription(line) // "Overage: 1,500 API calls over 10,000 included"
 */
export const overageDescription = (line: OverageLine): string =>
  `Overage: ${line.overage.toLocaleString('en-US')} ${LABELS[line.resource]} over ${line.included.toLocaleString('en-US')} included`;
