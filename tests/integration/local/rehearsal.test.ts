import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../../local/clock';
import { rehearse } from '../../../local/rehearsal';
import { startLocalStripe, type LocalStripe } from '../../../local/stripe';

describe('npm run rehearse (offline, against the local Stripe endpoint)', () => {
  let local: LocalStripe | undefined;
  afterEach(async () => local?.close());

  it('runs subscribe, upgrade, downgrade, overage and dunning on test clocks of their own, leaving the shared clock where it was', async () => {
    const clock = new SimulatedClock({ frozen: true, start: new Date('2027-02-01T00:00:00Z') });
    local = await startLocalStripe({ port: 0, clock });
    const lines: string[] = [];

    const result = await rehearse({ secretKey: 'sk_test_rehearsal', apiBase: local.url, log: (line) => lines.push(line) });

    expect(result.testClocks).toHaveLength(2);
    expect(lines.some((l) => /^upgrade: previewed (\S+) USD, charged \1 USD \(paid\)$/.test(l))).toBe(true);
    expect(lines.some((l) => l.startsWith('dunning: past_due'))).toBe(true);
    expect(lines.at(-1)).toBe('done: 2 test clocks deleted (their customers with them)');
    expect(clock.now().toISOString()).toBe('2027-02-01T00:00:00.000Z');
  });

  it('refuses a live key', async () => {
    await expect(rehearse({ secretKey: 'sk_live_nope', log: () => undefined })).rejects.toThrow(/test mode only/);
  });
});
