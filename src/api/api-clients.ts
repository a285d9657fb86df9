/** The contract of the `api-clients` routes (see `define.ts`). */
import type { OperationContract } from './define';

export const apiClientsApi = {} as const satisfies Record<string, OperationContract>;
