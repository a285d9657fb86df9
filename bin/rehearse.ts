import { SimulatedClock } from '../local/clock';
import { rehearse } from '../local/rehearsal';
import { startLocalStripe } from '../local/stripe';

/**
 * `npm run rehearse`: the subscription, upgrade, downgrade, overage and dunning flows on fresh
 * test clocks (one per tenant), through the production Stripe adapter.
 * - `STRIPE_SECRET_KEY=sk_test_... npm run rehearse`: against Stripe test mode (creates the
 *   catalog's prices once, like `npm run stripe:sync`; deletes its test clocks at the end).
 * - without a key: against a local Stripe endpoint started for the run.
 */
const key = process.env.STRIPE_SECRET_KEY;
if (key && !key.startsWith('sk_test_')) {
  console.error('npm run rehearse runs in test mode only: STRIPE_SECRET_KEY must be sk_test_...');
  process.exit(2);
}
const local = key ? null : await startLocalStripe({ port: 0, clock: new SimulatedClock() });
try {
  await rehearse({ secretKey: key ?? 'sk_test_rehearsal_local', ...(local ? { apiBase: local.url } : {}) });
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
} finally {
  await local?.close();
}
