import { describe, expect, it } from 'vitest';
import { promotionCodeProblem, redeemablePromotionCode } from '../../../../../src/app/billing/subscriptions/promotion';
import { InvalidInput } from '../../../../../src/app/errors';
import type { ProviderPromotionCode } from '../../../../../src/app/ports/payments';
import { ScriptedPaymentProvider } from '../../../../support/fakes/payments';
import { SettableClock } from '../../../../support/fakes/clock';

const NOW = new Date('2027-03-01T00:00:00Z');

const promo = (overrides: Partial<ProviderPromotionCode> = {}, coupon: Partial<ProviderPromotionCode['coupon']> = {}): ProviderPromotionCode => ({
  id: 'promo_1',
  code: 'LAUNCH',
  active: true,
  expiresAt: null,
  maxRedemptions: null,
  timesRedeemed: 0,
  ...overrides,
  coupon: { id: 'securenet_launch', name: 'Launch', valid: true, percentOff: null, amountsOff: { usd: 5_000, eur: 5_000 }, duration: 'once', ...coupon },
});

describe('promotionCodeProblem', () => {
  it('accepts a live code in a currency its coupon names', () => {
    expect(promotionCodeProblem(promo(), 'eur', NOW)).toBeNull();
  });

  it.each([
    ['inactive', promo({ active: false }), 'LAUNCH is no longer active'],
    ['expired', promo({ expiresAt: new Date('2027-02-28T00:00:00Z') }), 'LAUNCH expired at 2027-02-28T00:00:00.000Z'],
    ['expiring this instant', promo({ expiresAt: NOW }), 'LAUNCH expired at 2027-03-01T00:00:00.000Z'],
    ['used up', promo({ maxRedemptions: 3, timesRedeemed: 3 }), 'LAUNCH has been used as many times as it can be'],
    ['on a coupon no longer valid', promo({}, { valid: false }), 'the offer behind LAUNCH has ended'],
    ['for a currency its amount is not in', promo(), 'LAUNCH cannot be used in GBP; it takes an amount off in USD, EUR only'],
  ])('refuses a code %s', (_what, code, message) => {
    expect(promotionCodeProblem(code, 'gbp', NOW)).toBe(message);
  });

  it('accepts a percentage in any currency', () => {
    expect(promotionCodeProblem(promo({}, { percentOff: 10, amountsOff: {} }), 'gbp', NOW)).toBeNull();
  });
});

describe('redeemablePromotionCode', () => {
  it('throws InvalidInput naming promotion_code for a code the provider does not have', async () => {
    const provider = new ScriptedPaymentProvider(new SettableClock(NOW));
    const error = await redeemablePromotionCode(provider, 'nosuch', 'usd', NOW).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInput);
    expect((error as InvalidInput).details).toEqual([{ field: 'promotion_code', message: 'no promotion code NOSUCH' }]);
  });

  it('finds the code whatever its case', async () => {
    const provider = new ScriptedPaymentProvider(new SettableClock(NOW));
    provider.addPromotionCode(promo());
    expect((await redeemablePromotionCode(provider, ' launch ', 'usd', NOW)).id).toBe('promo_1');
  });
});
