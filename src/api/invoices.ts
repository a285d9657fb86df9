/** The contract of the `invoices` routes (see `define.ts`). */
import type { OperationContract } from './define';

export const invoicesApi = {} as const satisfies Record<string, OperationContract>;
