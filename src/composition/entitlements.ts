import { EntitlementService } from '../app/entitlements/entitlements';
import { liveClock } from '../platform/clock';
import { root } from './root';

/** Entitlements: reads need only the table; announcing publishes (functions that declare `publishes`). */
export const entitlements = (): EntitlementService =>
  root().shared('entitlements', () => {
    const { entitlements: store, usage } = root().repositories();
    return new EntitlementService({ store, publisher: root().publisher(), alerts: usage, clock: liveClock });
  });
