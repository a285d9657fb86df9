import { overageRateMilli, type Catalog, type Plan } from './catalog';
import { billableQuantity, quantityOf, type Tally } from './metering';
import { amountForQuantity, milliToMinor, type Currency } from './money';
import { RESOURCES, type Resource } from './resources';

/** One resource's overage in a closed usage period (SPEC section 5). */
export interface OverageLine {
  readonly resource: Resource;
  /** The billable quantity: peak or sum, storage per started GB. */
  readonly quantity: number;
  readonly included: number;
  readonly overage: number;
  /** Minor units per unit, possibly fractional (GBP API calls: 0.8). */
  readonly unit_price: number;
  /** `overage x rate`, integer minor units, rounded half up once. */
  readonly amount: number;
  readonly currency: Currency;
}

/**
 * `max(0, quantity - included) x rate` per resource, in the tenant's currency.
 * @example computeOverages(tally, starter, 'usd').filter((l) => l.amount > 0)
 */
export const computeOverages = (tally: Tally, plan: Plan, currency: Currency, catalog?: Catalog): OverageLine[] =>
  RESOURCES.map((resource) => {
    const quantity = billableQuantity(resource, quantityOf(tally, resource));
    const included = plan.limits[resource];
    const overage = Math.max(0, quantity - included);
    const rate = overageRateMilli(currency, resource, catalog);
    return { resource, quantity, included, overage, unit_price: milliToMinor(rate), amount: amountForQuantity(overage, rate), currency };
  });

const LABELS: Record<Resource, string> = {
  users: 'users',
  devices: 'devices',
  storage_gb: 'GB of storage',
  api_calls: 'API calls',
  alerts: 'alerts',
};

/** The invoice line text, e.g. "Overage: 1,500 API calls over 10,000 included". */
export const overageDescription = (line: OverageLine): string =>
  `Overage: ${line.overage.toLocaleString('en-US')} ${LABELS[line.resource]} over ${line.included.toLocaleString('en-US')} included`;
