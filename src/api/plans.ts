/** The contract of the `plans` routes (see `define.ts`). */
import type { OperationContract } from './define';

export const plansApi = {} as const satisfies Record<string, OperationContract>;
