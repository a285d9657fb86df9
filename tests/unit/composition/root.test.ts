import { describe, expect, it } from 'vitest';
import { paymentProvider } from '../../../src/composition/payments';
import { root } from '../../../src/composition/root';
import { withEnvironment } from '../../../src/platform/environment';

/** What the stack gives a function with `table: 'readwrite'` and nothing else. */
const tableOnly = () => ({ AWS_REGION: 'us-east-1', TABLE_NAME: 'billing' });

describe('root', () => {
  it('gives each function environment its own container, and the same one on every call', () => {
    const a = tableOnly();
    const b = tableOnly();

    const first = withEnvironment(a, root);

    expect(withEnvironment(a, root)).toBe(first);
    expect(withEnvironment(b, root)).not.toBe(first);
  });

  describe('publisher', () => {
    it('refuses, naming the variable, in a function that does not declare it publishes', () => {
      expect(() => withEnvironment(tableOnly(), () => root().publisher())).toThrow(/WEBHOOKS_QUEUE_URL is not set for this function/);
    });

    it('is built in a function given the webhook queue', () => {
      const env = { ...tableOnly(), WEBHOOKS_QUEUE_URL: 'http://127.0.0.1:9/000000000000/webhooks' };
      expect(() => withEnvironment(env, () => root().publisher())).not.toThrow();
    });
  });
});

describe('paymentProvider', () => {
  it('tries again after a failed build instead of keeping the failure for the container', async () => {
    const env: Record<string, string> = tableOnly();
    await expect(withEnvironment(env, () => paymentProvider())).rejects.toThrow(/STRIPE_SECRET_KEY/);

    env.STRIPE_SECRET_KEY = 'sk_test_root';
    env.STRIPE_WEBHOOK_SECRET = 'whsec_root';

    await expect(withEnvironment(env, () => paymentProvider())).resolves.toBeDefined();
  });
});
