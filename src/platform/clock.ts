/**
 * Where code asks for the time. In AWS it is the system clock; the local stack swaps in its
 * simulated clock (SPEC section 9) so handlers, the local Stripe endpoint and the schedule agree.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

let current: Clock = systemClock;

export const clock = (): Clock => current;

/** Asks whichever clock is in use at each call: what use cases are given. */
export const liveClock: Clock = { now: () => current.now() };

/** Used by the local stack and tests only; production never calls it. */
export const useClock = (next: Clock): void => {
  current = next;
};
