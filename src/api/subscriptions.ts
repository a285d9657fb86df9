/** The contract of the `subscriptions` routes (see `define.ts`). */
import type { OperationContract } from './define';

export const subscriptionsApi = {} as const satisfies Record<string, OperationContract>;
