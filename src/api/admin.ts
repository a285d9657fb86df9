/** The contract of the `admin` routes (see `define.ts`). */
import type { OperationContract } from './define';

export const adminApi = {} as const satisfies Record<string, OperationContract>;
