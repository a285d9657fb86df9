import * as z from 'zod';
import couponData from './coupons.json' with { type: 'json' };
import { CURRENCIES, type Currency } from './money';

export const COUPON_DURATIONS = ['once', 'repeating', 'forever'] as const;
export type CouponDuration = (typeof COUPON_DURATIONS)[number];

/** What customers type: letters, digits, dashes and underscores (Stripe's rule), kept upper-case here. */
export const PROMOTION_CODE_PATTERN = /^[A-Z0-9][A-Z0-9_-]{2,39}$/;

const promotionCodeSchema = z.strictObject({
  code: z.string().regex(PROMOTION_CODE_PATTERN, 'upper-case letters, digits, - and _, 3 to 40 characters'),
  max_redemptions: z.number().int().positive().optional(),
  expires_at: z.iso.datetime().optional(),
});

const amountOffSchema = z
  .strictObject(Object.fromEntries(CURRENCIES.map((c) => [c, z.number().int().positive().optional()])) as Record<Currency, z.ZodOptional<z.ZodNumber>>)
  .refine((amounts) => Object.values(amounts).some((a) => a !== undefined), { message: 'name at least one currency' });

export const couponSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z][a-z0-9_]*$/),
    name: z.string().min(1).max(40),
    percent_off: z.number().positive().max(100).optional(),
    amount_off: amountOffSchema.optional(),
    duration: z.enum(COUPON_DURATIONS),
    duration_in_months: z.number().int().min(1).max(36).optional(),
    promotion_codes: z.array(promotionCodeSchema).min(1),
  })
  .superRefine((c, ctx) => {
    if ((c.percent_off === undefined) === (c.amount_off === undefined))
      ctx.addIssue({ code: 'custom', path: ['percent_off'], message: 'give exactly one of percent_off and amount_off' });
    if (c.duration === 'repeating' && c.duration_in_months === undefined)
      ctx.addIssue({ code: 'custom', path: ['duration_in_months'], message: 'required when duration is repeating' });
    if (c.duration !== 'repeating' && c.duration_in_months !== undefined)
      ctx.addIssue({ code: 'custom', path: ['duration_in_months'], message: 'only with duration repeating' });
  });

/** The discount catalog file's schema: unique coupon ids, and each code used once. */
export const couponCatalogSchema = z
  .strictObject({ description: z.string(), coupons: z.array(couponSchema) })
  .superRefine((catalog, ctx) => {
    const ids = catalog.coupons.map((c) => c.id);
    if (new Set(ids).size !== ids.length) ctx.addIssue({ code: 'custom', path: ['coupons'], message: 'coupon ids must be unique' });
    const codes = catalog.coupons.flatMap((c) => c.promotion_codes.map((p) => p.code));
    if (new Set(codes).size !== codes.length) ctx.addIssue({ code: 'custom', path: ['coupons'], message: 'promotion codes must be unique' });
  });

export type Coupon = z.infer<typeof couponSchema>;
export type CatalogPromotionCode = z.infer<typeof promotionCodeSchema>;
export type CouponCatalog = z.infer<typeof couponCatalogSchema>;

/** Parses discount catalog data; throws a ZodError naming the bad field. */
export const parseCouponCatalog = (data: unknown): CouponCatalog => couponCatalogSchema.parse(data);

let defaultCatalog: CouponCatalog | undefined;

/** The default discount catalog, validated once, at its first use rather than at every cold start. */
export const couponCatalog = (): CouponCatalog => (defaultCatalog ??= parseCouponCatalog(couponData));

/**
 * A code as customers type it, made comparable: trimmed and upper-case.
 *
 * @example
 * normalizeCode(' welcome20 ') // 'WELCOME20'
 */
export const normalizeCode = (code: string): string => code.trim().toUpperCase();

/**
 * The coupon a code belongs to (codes compare without case), if the catalog has it.
 *
 * @example
 * findCouponByCode('welcome20')?.id // 'welcome20'
 */
export const findCouponByCode = (code: string, source: CouponCatalog = couponCatalog()): Coupon | undefined =>
  source.coupons.find((c) => c.promotion_codes.some((p) => p.code === normalizeCode(code)));

export const findCoupon = (id: string, source: CouponCatalog = couponCatalog()): Coupon | undefined => source.coupons.find((c) => c.id === id);

/**
 * What a coupon takes off in a currency: a percentage, an amount (minor units), or null when an
 * amount-off coupon has no amount in that currency (it cannot be used there).
 *
 * @example
 * couponTermsIn(launch, 'gbp') // { amount_off: 5000 }
 * couponTermsIn(welcome, 'eur') // { percent_off: 20 }
 */
export const couponTermsIn = (coupon: Pick<Coupon, 'percent_off' | 'amount_off'>, currency: Currency): { percent_off: number } | { amount_off: number } | null => {
  if (coupon.percent_off !== undefined) return { percent_off: coupon.percent_off };
  const amount = coupon.amount_off?.[currency];
  return amount === undefined ? null : { amount_off: amount };
};

/**
 * A subscription's discount as the API shows it: the code redeemed, the coupon's terms (one of
 * `percent_off` and `amount_off`, minor units in the subscription's currency) and when it stops.
 */
export interface SubscriptionDiscount {
  readonly code: string | null;
  readonly coupon_id: string;
  readonly name: string | null;
  readonly percent_off?: number;
  readonly amount_off?: number;
  readonly duration: CouponDuration;
  /** When a `repeating` discount ends; null for `once` (the next invoice) and `forever`. */
  readonly ends_at: string | null;
}

/** The currencies an amount-off coupon can be used in (all of them for a percentage). */
export const couponCurrencies = (coupon: Pick<Coupon, 'percent_off' | 'amount_off'>): Currency[] =>
  CURRENCIES.filter((c) => couponTermsIn(coupon, c) !== null);
