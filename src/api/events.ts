/** The contract of the `events` routes (see `define.ts`). */
import type { OperationContract } from './define';

export const eventsApi = {} as const satisfies Record<string, OperationContract>;
