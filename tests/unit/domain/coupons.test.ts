import { describe, expect, it } from 'vitest';
import { couponCatalog, couponCurrencies, couponTermsIn, findCouponByCode, normalizeCode, parseCouponCatalog } from '../../../src/domain/coupons';

const entry = (overrides: Record<string, unknown> = {}) => ({
  id: 'spring',
  name: 'Spring: 15% off',
  percent_off: 15,
  duration: 'once',
  promotion_codes: [{ code: 'SPRING15' }],
  ...overrides,
});
const catalogOf = (...coupons: unknown[]) => ({ description: 'test', coupons });

/** The path and message of the first issue the loader reports. */
const issueOf = (data: unknown): { path: string; message: string } | null => {
  try {
    parseCouponCatalog(data);
    return null;
  } catch (error) {
    const issue = (error as { issues?: { path: PropertyKey[]; message: string }[] }).issues?.[0];
    return issue ? { path: issue.path.map(String).join('.'), message: issue.message } : null;
  }
};

describe('discount catalog', () => {
  describe('the default catalog', () => {
    it('holds the published offers with their codes', () => {
      expect(couponCatalog().coupons.map((c) => [c.id, c.promotion_codes.map((p) => p.code)])).toEqual([
        ['welcome20', ['WELCOME20']],
        ['launch', ['LAUNCH']],
        ['partner10', ['PARTNER10']],
        ['summit_us', ['SUMMIT100']],
      ]);
    });

    it('prices amount-off offers in integer minor units per currency', () => {
      expect(findCouponByCode('LAUNCH')?.amount_off).toEqual({ usd: 5_000, eur: 5_000, gbp: 5_000 });
      expect(findCouponByCode('SUMMIT100')?.amount_off).toEqual({ usd: 10_000 });
      for (const c of couponCatalog().coupons) for (const amount of Object.values(c.amount_off ?? {})) expect(Number.isInteger(amount)).toBe(true);
    });

    it('gives WELCOME20 three months at 20%', () => {
      expect(findCouponByCode('WELCOME20')).toMatchObject({ percent_off: 20, duration: 'repeating', duration_in_months: 3 });
    });
  });

  describe('parseCouponCatalog', () => {
    it('accepts a percentage, an amount per currency, and each duration', () => {
      const parsed = parseCouponCatalog(
        catalogOf(
          entry(),
          entry({ id: 'flat', percent_off: undefined, amount_off: { eur: 1_000 }, duration: 'forever', promotion_codes: [{ code: 'FLAT10', max_redemptions: 5 }] }),
          entry({ id: 'three', duration: 'repeating', duration_in_months: 3, promotion_codes: [{ code: 'THREE', expires_at: '2030-01-01T00:00:00Z' }] }),
        ),
      );
      expect(parsed.coupons.map((c) => c.id)).toEqual(['spring', 'flat', 'three']);
    });

    it.each([
      ['both percent_off and amount_off', entry({ amount_off: { usd: 100 } }), 'coupons.0.percent_off'],
      ['neither percent_off nor amount_off', entry({ percent_off: undefined }), 'coupons.0.percent_off'],
      ['a fractional amount', entry({ percent_off: undefined, amount_off: { usd: 99.5 } }), 'coupons.0.amount_off.usd'],
      ['an amount in no currency', entry({ percent_off: undefined, amount_off: {} }), 'coupons.0.amount_off'],
      ['an unknown currency', entry({ percent_off: undefined, amount_off: { jpy: 100 } }), 'coupons.0.amount_off'],
      ['a percentage above 100', entry({ percent_off: 120 }), 'coupons.0.percent_off'],
      ['repeating without months', entry({ duration: 'repeating' }), 'coupons.0.duration_in_months'],
      ['months without repeating', entry({ duration_in_months: 2 }), 'coupons.0.duration_in_months'],
      ['a lower-case code', entry({ promotion_codes: [{ code: 'spring15' }] }), 'coupons.0.promotion_codes.0.code'],
      ['no codes', entry({ promotion_codes: [] }), 'coupons.0.promotion_codes'],
      ['an expiry that is not ISO 8601', entry({ promotion_codes: [{ code: 'SPRING15', expires_at: 'next spring' }] }), 'coupons.0.promotion_codes.0.expires_at'],
    ])('throws naming the field for %s', (_what, coupon, path) => {
      expect(issueOf(catalogOf(coupon))?.path).toBe(path);
    });

    it('throws when two coupons share an id or a code', () => {
      expect(issueOf(catalogOf(entry(), entry({ promotion_codes: [{ code: 'OTHER' }] })))).toEqual({ path: 'coupons', message: 'coupon ids must be unique' });
      expect(issueOf(catalogOf(entry(), entry({ id: 'other' })))).toEqual({ path: 'coupons', message: 'promotion codes must be unique' });
    });
  });

  describe('findCouponByCode', () => {
    it('finds a code as customers type it, without case or surrounding spaces', () => {
      expect(normalizeCode(' welcome20 ')).toBe('WELCOME20');
      expect(findCouponByCode(' partner10')?.id).toBe('partner10');
      expect(findCouponByCode('NOSUCH')).toBeUndefined();
    });
  });

  describe('couponTermsIn', () => {
    it('takes a percentage in every currency and an amount only where the coupon names one', () => {
      const summit = findCouponByCode('SUMMIT100');
      if (!summit) throw new Error('SUMMIT100 missing');
      expect(couponTermsIn(summit, 'usd')).toEqual({ amount_off: 10_000 });
      expect(couponTermsIn(summit, 'gbp')).toBeNull();
      expect(couponCurrencies(summit)).toEqual(['usd']);
      expect(couponTermsIn({ percent_off: 10 }, 'eur')).toEqual({ percent_off: 10 });
    });
  });
});
