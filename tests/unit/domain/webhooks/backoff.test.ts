import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RETRY_POLICY,
  MAX_VISIBILITY_SECONDS,
  nominalDelaySeconds,
  retryDelaySeconds,
  retryScheduleSeconds,
} from '../../../../src/domain/webhooks/backoff';
import { queues } from '../../../../contracts/queues';

const policy = { baseSeconds: 60, maxSeconds: 10_800, jitter: 0.2 };

describe('nominalDelaySeconds', () => {
  it('doubles from the base after each failure, up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15].map((n) => nominalDelaySeconds(n, policy))).toEqual([
      60, 120, 240, 480, 960, 1920, 3840, 7680, 10_800, 10_800, 10_800,
    ]);
  });

  it('stays at the cap for absurd failure counts', () => {
    expect(nominalDelaySeconds(10_000, policy)).toBe(10_800);
  });
});

describe('retryDelaySeconds', () => {
  it('spreads each wait over ±jitter of its nominal value', () => {
    expect(retryDelaySeconds(3, policy, () => 0)).toBe(192);
    expect(retryDelaySeconds(3, policy, () => 0.5)).toBe(240);
    expect(retryDelaySeconds(3, policy, () => 0.999_999)).toBe(288);
  });

  it('never waits less than a second or longer than SQS allows', () => {
    expect(retryDelaySeconds(1, { baseSeconds: 1, maxSeconds: 1, jitter: 0.9 }, () => 0)).toBe(1);
    expect(retryDelaySeconds(20, { baseSeconds: 3600, maxSeconds: 50_000, jitter: 0.5 }, () => 0.999)).toBe(MAX_VISIBILITY_SECONDS);
  });

  it('keeps whole seconds, as ChangeMessageVisibility wants', () => {
    for (let i = 0; i < 100; i += 1) expect(Number.isInteger(retryDelaySeconds((i % 16) + 1, policy))).toBe(true);
  });
});

describe('retryScheduleSeconds', () => {
  it('puts the first attempt at 0 and each next one a nominal wait later', () => {
    expect(retryScheduleSeconds(4, policy)).toEqual([0, 60, 180, 420]);
  });

  it('spreads the default policy over about a day with the queue maxReceiveCount', () => {
    const schedule = retryScheduleSeconds(queues.webhooks.maxReceiveCount, DEFAULT_RETRY_POLICY);
    expect(schedule).toHaveLength(16);
    expect((schedule.at(-1) ?? 0) / 3600).toBeCloseTo(25.25, 2);
  });
});
