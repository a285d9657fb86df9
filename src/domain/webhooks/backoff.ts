/**
 * When a failed webhook delivery is tried again: exponential backoff with jitter, capped, over
 * about a day. Pure; the dispatcher applies the delay with SQS ChangeMessageVisibility.
 */
export interface RetryPolicy {
  /** The wait after the first failure; it doubles after each further one. */
  readonly baseSeconds: number;
  /** No single wait is longer. */
  readonly maxSeconds: number;
  /** Each wait is spread uniformly over ±jitter of its nominal value (0.2 = ±20 %). */
  readonly jitter: number;
}

/**
 * One minute, doubling to a three-hour cap: with the queue's maxReceiveCount of 16 the last
 * attempt comes about 25 hours after the first (`retryScheduleSeconds`).
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { baseSeconds: 60, maxSeconds: 3 * 3600, jitter: 0.2 };

/** SQS refuses a visibility timeout over 12 hours. */
export const MAX_VISIBILITY_SECONDS = 43_200;

/** The wait after the `failures`-th failed attempt (1 = the first), before jitter. */
export const nominalDelaySeconds = (failures: number, policy: RetryPolicy): number =>
  Math.min(policy.maxSeconds, policy.baseSeconds * 2 ** Math.max(0, Math.min(failures - 1, 30)));

/**
 * The wait after the `failures`-th failed attempt, jittered so that endpoints that failed
 * together do not all come back at once. Whole seconds, at least 1, at most SQS's 12 hours.
 * @example
 * retryDelaySeconds(3, { baseSeconds: 60, maxSeconds: 10_800, jitter: 0.2 }, () => 0.5); // 240
 */
export const retryDelaySeconds = (failures: number, policy: RetryPolicy, random: () => number = Math.random): number => {
  const nominal = nominalDelaySeconds(failures, policy);
  const spread = 1 - policy.jitter + 2 * policy.jitter * random();
  return Math.min(MAX_VISIBILITY_SECONDS, Math.max(1, Math.round(nominal * spread)));
};

/**
 * When each of `attempts` attempts happens, in seconds after the first, without jitter: the
 * schedule the queue's maxReceiveCount is sized from.
 */
export const retryScheduleSeconds = (attempts: number, policy: RetryPolicy): number[] => {
  const at = [0];
  for (let failures = 1; failures < attempts; failures += 1) at.push((at[failures - 1] ?? 0) + nominalDelaySeconds(failures, policy));
  return at;
};
