import type Stripe from 'stripe';
import { BILLING_CYCLES, catalog, type BillingCycle, type Catalog } from '../../domain/catalog';
import { CURRENCIES, isCurrency } from '../../domain/money';
import { NotFound, NotInCatalog } from '../../app/errors';
import type { CatalogSyncResult, PriceTarget } from '../../app/ports/payments';
import type { StripeClient } from './client';

/**
 * `securenet_<plan>_<cycle>_<currency>`: how a catalog price is found again in Stripe.
 *
 * @example
 * lookupKey({ planId: 'pro', cycle: 'monthly', currency: 'usd' }) // 'securenet_pro_monthly_usd'
 */
export const lookupKey = (t: PriceTarget): string => `securenet_${t.planId}_${t.cycle}_${t.currency}`;

const productId = (planId: string): string => `securenet_${planId}`;

const parseLookupKey = (key: string | null): PriceTarget | null => {
  const m = key ? /^securenet_(.+)_(monthly|annual)_([a-z]{3})$/.exec(key) : null;
  if (!m?.[1] || !m[2] || !m[3] || !isCurrency(m[3])) return null;
  return { planId: m[1], cycle: m[2] as BillingCycle, currency: m[3] };
};

/** A Stripe price of our catalog: what it sells and for how much (minor units). */
export interface CatalogPrice {
  readonly target: PriceTarget;
  readonly unitAmount: number;
}

/**
 * The catalog in Stripe, found by lookup key: creates what is missing (`sync`) and resolves a
 * plan, cycle and currency to a price id and back, remembering what it has read.
 */
export class StripeCatalog {
  private readonly priceIds = new Map<string, string>();
  /** Lookup keys whose price was made before prices were tax-exclusive (SPEC section 4a). */
  private readonly taxUnspecified = new Set<string>();
  private readonly pricesById = new Map<string, CatalogPrice>();

  constructor(
    private readonly client: StripeClient,
    private readonly source: Catalog = catalog,
  ) {}

  /**
   * Creates the catalog's products and prices once; a re-run creates nothing (each create has
   * an idempotency key made of what it creates, and existing prices are found by lookup key).
   * Prices are tax-exclusive (Stripe Tax adds the tax): a price made before, with
   * `tax_behavior: unspecified`, is replaced by a new price that takes over its lookup key
   * (`transfer_lookup_key`); subscriptions on the old price keep it (Stripe never changes a
   * live subscription's price), so nothing is re-priced mid-period.
   *
   * @example
   * await new StripeCatalog(client).sync() // { created: 0, existing: 30, replaced: 0 } on a re-run
   */
  async sync(): Promise<CatalogSyncResult> {
    let created = 0;
    let existing = 0;
    let replaced = 0;
    for (const plan of this.source.plans) {
      try {
        await this.client.read((stripe) => stripe.products.retrieve(productId(plan.id)));
      } catch (error) {
        if (!(error instanceof NotFound)) throw error;
        await this.client.write(`product:${plan.id}`, (stripe, request) =>
          stripe.products.create({ id: productId(plan.id), name: `SecureNet ${plan.name}`, metadata: { plan_id: plan.id } }, request),
        );
      }
    }
    await this.loadPrices();
    for (const plan of this.source.plans) {
      for (const currency of CURRENCIES) {
        for (const cycle of BILLING_CYCLES) {
          const target = { planId: plan.id, cycle, currency };
          const key = lookupKey(target);
          const replacing = this.taxUnspecified.has(key);
          if (this.priceIds.has(key) && !replacing) {
            existing += 1;
            continue;
          }
          const unitAmount = plan.prices[currency][cycle];
          const price = await this.client.write(`price:${key}:${unitAmount}:exclusive`, (stripe, request) =>
            stripe.prices.create(
              {
                product: productId(plan.id),
                currency,
                unit_amount: unitAmount,
                recurring: { interval: cycle === 'annual' ? 'year' : 'month' },
                lookup_key: key,
                tax_behavior: 'exclusive',
                ...(replacing ? { transfer_lookup_key: true } : {}),
                metadata: { plan_id: plan.id, billing_cycle: cycle },
              },
              request,
            ),
          );
          this.remember(price);
          if (replacing) replaced += 1;
          else created += 1;
        }
      }
    }
    return { created, existing, replaced };
  }

  /** The Stripe price id of a catalog price; throws when the catalog was never synced. */
  async priceId(target: PriceTarget): Promise<string> {
    if (!this.priceIds.has(lookupKey(target))) await this.loadPrices();
    const id = this.priceIds.get(lookupKey(target));
    if (!id) throw new Error(`Stripe has no price ${lookupKey(target)}: run the catalog sync (npm run stripe:sync)`);
    return id;
  }

  /** What a Stripe price id sells; throws for a price that is not one of our catalog's. */
  async price(priceId: string): Promise<CatalogPrice> {
    if (!this.pricesById.has(priceId)) this.remember(await this.client.read((stripe) => stripe.prices.retrieve(priceId)));
    const found = this.pricesById.get(priceId);
    if (!found) throw new NotInCatalog(`price ${priceId} is not a SecureNet catalog price`);
    return found;
  }

  private async loadPrices(): Promise<void> {
    const keys: string[] = [];
    for (const plan of this.source.plans)
      for (const currency of CURRENCIES) for (const cycle of BILLING_CYCLES) keys.push(lookupKey({ planId: plan.id, cycle, currency }));
    // Stripe takes at most 10 lookup keys per list call.
    for (let i = 0; i < keys.length; i += 10) {
      const lookup_keys = keys.slice(i, i + 10);
      const prices = this.client.list((stripe, after) =>
        stripe.prices.list({ lookup_keys, active: true, limit: 100, ...(after ? { starting_after: after } : {}) }),
      );
      for await (const price of prices) this.remember(price);
    }
  }

  private remember(price: Stripe.Price): void {
    const target = parseLookupKey(price.lookup_key);
    if (!target || price.unit_amount === null) return;
    const key = lookupKey(target);
    this.priceIds.set(key, price.id);
    this.pricesById.set(price.id, { target, unitAmount: price.unit_amount });
    if (price.tax_behavior === 'exclusive') this.taxUnspecified.delete(key);
    else this.taxUnspecified.add(key);
  }
}
