import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../../src/platform/token-bucket';

/** A clock the bucket sleeps on: sleeping moves it, so nothing waits in real time. */
const virtualTime = () => {
  let now = 0;
  return {
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
    },
  };
};

describe('TokenBucket', () => {
  it('lets a burst through at once, then paces takes to the rate', async () => {
    // Prepare
    const time = virtualTime();
    const bucket = new TokenBucket({ perSecond: 20, burst: 4, ...time });

    // Act
    const at: number[] = [];
    for (let i = 0; i < 24; i += 1) {
      await bucket.take();
      at.push(time.now());
    }

    // Assess: 4 at once, then one every 50 ms; 24 takes span 1 s.
    expect(at.slice(0, 4)).toEqual([0, 0, 0, 0]);
    expect(at[4]).toBeCloseTo(50, 6);
    expect(at[23]).toBeCloseTo(1_000, 6);
  });

  it('never lets more than the rate plus the burst through in any one-second window, for concurrent callers', async () => {
    // Prepare
    const time = virtualTime();
    const bucket = new TokenBucket({ perSecond: 100, ...time });

    // Act: 50 callers taking 10 each, all at once.
    const at: number[] = [];
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        for (let i = 0; i < 10; i += 1) {
          await bucket.take();
          at.push(time.now());
        }
      }),
    );

    // Assess: a default burst of a fifth of the rate (20).
    expect(at).toHaveLength(500);
    const sorted = [...at].sort((a, b) => a - b);
    let busiest = 0;
    for (let i = 0, j = 0; i < sorted.length; i += 1) {
      while ((sorted[i] ?? 0) - (sorted[j] ?? 0) >= 1_000) j += 1;
      busiest = Math.max(busiest, i - j + 1);
    }
    expect(busiest).toBeLessThanOrEqual(120);
    expect(busiest).toBeGreaterThanOrEqual(100);
  });

  it('refills while idle, but not past the burst', async () => {
    // Prepare
    const time = virtualTime();
    const bucket = new TokenBucket({ perSecond: 10, burst: 2, ...time });
    await bucket.take();
    await bucket.take();
    await time.sleep(10_000);

    // Act
    const at: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      await bucket.take();
      at.push(time.now());
    }

    // Assess
    expect(at).toEqual([10_000, 10_000, 10_100]);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => new TokenBucket({ perSecond: 0 })).toThrow(RangeError);
  });
});
