/** The contract of the `usage` routes (see `define.ts`). */
import type { OperationContract } from './define';

export const usageApi = {} as const satisfies Record<string, OperationContract>;
