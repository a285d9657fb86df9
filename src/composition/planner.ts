import { planDuePeriods } from '../app/overage/run';
import { liveClock } from '../platform/clock';
import { entitlements } from './entitlements';
import { root } from './root';

/** The planner only reads the index and enqueues: no Stripe keys, no Stripe SDK in its bundle. */
export const planOverages = (): Promise<number> =>
  planDuePeriods({ overages: root().repositories().overages, clock: liveClock }, root().queue('overage'));

/** Entitlements whose answer changed with time alone (a grace period that ended): announced. */
export const announceDueEntitlements = (): Promise<number> => entitlements().announceDue();
