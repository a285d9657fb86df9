import { StripeAdapter } from '../src/adapters/stripe/stripe-adapter';

/**
 * `STRIPE_SECRET_KEY=sk_test_... npm run stripe:sync`: creates the catalog's products and prices
 * in a Stripe account (once per plan x cycle x currency, found again by lookup_key), and the
 * discount catalog's coupons (fixed ids `securenet_<id>`) and promotion codes, so a re-run
 * creates nothing. Run it once per account before the first deploy takes traffic.
 */
const secretKey = process.env.STRIPE_SECRET_KEY;
if (!secretKey?.startsWith('sk_')) {
  console.error('set STRIPE_SECRET_KEY to the account secret key (sk_test_... or sk_live_...)');
  process.exit(2);
}
const adapter = new StripeAdapter({
  secretKey,
  webhookSecret: process.env.STRIPE_WEBHOOK_SECRET ?? 'whsec_unused',
  ...(process.env.STRIPE_API_BASE ? { apiBase: process.env.STRIPE_API_BASE } : {}),
});
const result = await adapter.syncCatalog();
console.log(
  `catalog in Stripe: ${result.created} prices created, ${result.existing} already there, ${result.replaced} replaced by tax-exclusive prices (live subscriptions keep theirs)`,
);
const discounts = await adapter.syncCoupons();
console.log(
  `discounts in Stripe: ${discounts.coupons.created} coupons created, ${discounts.coupons.unchanged} unchanged, ${discounts.coupons.updated} renamed; ` +
    `${discounts.promotionCodes.created} promotion codes created, ${discounts.promotionCodes.unchanged} unchanged, ${discounts.promotionCodes.expired} past expires_at (not created)`,
);
