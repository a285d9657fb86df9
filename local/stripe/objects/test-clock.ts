import type Stripe from 'stripe';
import { SECONDS } from '../config';

export const newTestClock = (input: { id: string; name: string | null; frozenTime: number; now: number }): Stripe.TestHelpers.TestClock => ({
  id: input.id,
  object: 'test_helpers.test_clock',
  created: input.now,
  deletes_after: input.now + 30 * SECONDS.day,
  frozen_time: input.frozenTime,
  livemode: false,
  name: input.name,
  status: 'ready',
  status_details: {},
});
