import type Stripe from 'stripe';
import { couponCatalog, couponCurrencies, type Coupon, type CouponCatalog } from '../../domain/coupons';
import { CURRENCIES, isCurrency, type Currency } from '../../domain/money';
import { NotFound } from '../../app/errors';
import type { DiscountDuration, ProviderPromotionCode } from '../../app/ports/payments';
import type { StripeClient } from './client';

/**
 * `securenet_<id>`: the Stripe coupon of a catalog coupon (fixed, so a sync finds it again).
 *
 * @example
 * stripeCouponId('welcome20') // 'securenet_welcome20'
 */
export const stripeCouponId = (catalogId: string): string => `securenet_${catalogId}`;

/** What a coupon sync did, per kind: made now, already right, renamed, or (codes past `expires_at`) left out. */
export interface CouponSyncResult {
  readonly coupons: { readonly created: number; readonly unchanged: number; readonly updated: number };
  readonly promotionCodes: { readonly created: number; readonly unchanged: number; readonly expired: number };
}

/** The create params of a catalog coupon: an amount-off one in several currencies uses `currency_options`. */
const couponParams = (coupon: Coupon): Stripe.CouponCreateParams => {
  const base = {
    id: stripeCouponId(coupon.id),
    name: coupon.name,
    duration: coupon.duration,
    ...(coupon.duration_in_months !== undefined ? { duration_in_months: coupon.duration_in_months } : {}),
    metadata: { catalog_id: coupon.id },
  };
  if (coupon.percent_off !== undefined) return { ...base, percent_off: coupon.percent_off };
  const [first, ...others] = couponCurrencies(coupon);
  const amount = (c: Currency): number => coupon.amount_off?.[c] ?? 0;
  if (!first) throw new Error(`coupon ${coupon.id} has no amount in any currency`);
  return {
    ...base,
    amount_off: amount(first),
    currency: first,
    ...(others.length > 0 ? { currency_options: Object.fromEntries(others.map((c) => [c, { amount_off: amount(c) }])) } : {}),
  };
};

/** A Stripe coupon's amount off per currency (its own currency and its `currency_options`). */
const amountsOf = (coupon: Stripe.Coupon): Partial<Record<Currency, number>> => {
  const out: Partial<Record<Currency, number>> = {};
  if (coupon.amount_off !== null && coupon.currency && isCurrency(coupon.currency)) out[coupon.currency] = coupon.amount_off;
  for (const [currency, option] of Object.entries(coupon.currency_options ?? {})) if (isCurrency(currency)) out[currency] = option.amount_off;
  return out;
};

/** Whether Stripe's coupon takes off what the catalog says (terms cannot change in Stripe; the name can). */
const sameTerms = (stripe: Stripe.Coupon, coupon: Coupon): boolean => {
  const amounts = amountsOf(stripe);
  return (
    (stripe.percent_off ?? undefined) === coupon.percent_off &&
    CURRENCIES.every((c) => amounts[c] === coupon.amount_off?.[c]) &&
    stripe.duration === coupon.duration &&
    (stripe.duration_in_months ?? undefined) === coupon.duration_in_months
  );
};

const durationOf = (d: string): DiscountDuration => (d === 'once' || d === 'repeating' ? d : 'forever');

/**
 * The discount catalog in Stripe: creates the coupons and promotion codes it lacks (`sync`) and
 * finds a promotion code by the code customers type, remembering the coupons it has read.
 */
export class StripeCoupons {
  private readonly coupons = new Map<string, Stripe.Coupon>();

  constructor(
    private readonly client: StripeClient,
    private readonly source: CouponCatalog = couponCatalog(),
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Creates each catalog coupon (id `securenet_<id>`) and promotion code once; a re-run creates
   * nothing. A coupon whose name changed is renamed; one whose terms changed is refused (Stripe
   * cannot change a coupon's terms: give the entry a new id). A code already past its
   * `expires_at` is not created.
   *
   * @example
   * await new StripeCoupons(client).sync() // { coupons: { created: 0, unchanged: 4, updated: 0 }, ... } on a re-run
   */
  async sync(): Promise<CouponSyncResult> {
    const coupons = { created: 0, unchanged: 0, updated: 0 };
    const promotionCodes = { created: 0, unchanged: 0, expired: 0 };
    for (const coupon of this.source.coupons) {
      const id = stripeCouponId(coupon.id);
      const existing = await this.retrieve(id);
      if (!existing) {
        await this.client.write(`coupon:${id}`, (stripe, request) => stripe.coupons.create(couponParams(coupon), request));
        coupons.created += 1;
      } else if (!sameTerms(existing, coupon)) {
        throw new Error(`Stripe coupon ${id} takes off something else than the catalog says; a coupon's terms cannot change in Stripe, so give the catalog entry a new id`);
      } else if (existing.name !== coupon.name) {
        await this.client.write(`coupon:${id}:name:${coupon.name}`, (stripe, request) => stripe.coupons.update(id, { name: coupon.name }, request));
        coupons.updated += 1;
      } else coupons.unchanged += 1;

      for (const promo of coupon.promotion_codes) {
        const found = this.client.list((stripe, after) =>
          stripe.promotionCodes.list({ code: promo.code, coupon: id, limit: 10, ...(after ? { starting_after: after } : {}) }),
        );
        const exists = (await found.next()).done !== true;
        const expiresAt = promo.expires_at ? Math.floor(Date.parse(promo.expires_at) / 1000) : undefined;
        if (exists) promotionCodes.unchanged += 1;
        else if (expiresAt !== undefined && expiresAt * 1000 <= this.now().getTime()) promotionCodes.expired += 1;
        else {
          await this.client.write(`promotion-code:${id}:${promo.code}`, (stripe, request) =>
            stripe.promotionCodes.create(
              {
                promotion: { type: 'coupon', coupon: id },
                code: promo.code,
                ...(promo.max_redemptions !== undefined ? { max_redemptions: promo.max_redemptions } : {}),
                ...(expiresAt !== undefined ? { expires_at: expiresAt } : {}),
                metadata: { catalog_id: coupon.id },
              },
              request,
            ),
          );
          promotionCodes.created += 1;
        }
      }
    }
    return { coupons, promotionCodes };
  }

  /** The promotion code customers type as `code` (Stripe compares codes without case); an active one first. */
  async findPromotionCode(code: string): Promise<ProviderPromotionCode | null> {
    const codes: Stripe.PromotionCode[] = [];
    const pages = this.client.list((stripe, after) => stripe.promotionCodes.list({ code, limit: 100, ...(after ? { starting_after: after } : {}) }));
    for await (const promo of pages) codes.push(promo);
    const promo = codes.find((c) => c.active) ?? codes[0];
    const couponRef = promo?.promotion.coupon;
    if (!promo || !couponRef) return null;
    const coupon = await this.coupon(typeof couponRef === 'string' ? couponRef : couponRef.id, { fresh: true });
    return {
      id: promo.id,
      code: promo.code,
      active: promo.active,
      expiresAt: promo.expires_at === null ? null : new Date(promo.expires_at * 1000),
      maxRedemptions: promo.max_redemptions,
      timesRedeemed: promo.times_redeemed,
      coupon: {
        id: coupon.id,
        name: coupon.name,
        valid: coupon.valid,
        percentOff: coupon.percent_off,
        amountsOff: amountsOf(coupon),
        duration: durationOf(coupon.duration),
      },
    };
  }

  /** A coupon with its `currency_options`; read once per container unless `fresh` (its validity changes with redemptions). */
  async coupon(id: string, options: { fresh?: boolean } = {}): Promise<Stripe.Coupon> {
    const known = this.coupons.get(id);
    if (known && !options.fresh) return known;
    const coupon = await this.client.read((stripe) => stripe.coupons.retrieve(id, { expand: ['currency_options'] }));
    this.coupons.set(id, coupon);
    return coupon;
  }

  /** What a coupon takes off in `currency`: its percentage, or its amount there. */
  async termsIn(id: string, currency: Currency): Promise<{ coupon: Stripe.Coupon; percentOff: number | null; amountOff: number | null }> {
    const coupon = await this.coupon(id);
    return { coupon, percentOff: coupon.percent_off, amountOff: coupon.percent_off === null ? (amountsOf(coupon)[currency] ?? null) : null };
  }

  private async retrieve(id: string): Promise<Stripe.Coupon | null> {
    try {
      return await this.coupon(id, { fresh: true });
    } catch (error) {
      if (error instanceof NotFound) return null;
      throw error;
    }
  }
}
