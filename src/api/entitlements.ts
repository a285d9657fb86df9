/** The contract of the `entitlements` routes (see `define.ts`). */
import type { OperationContract } from './define';

export const entitlementsApi = {} as const satisfies Record<string, OperationContract>;
