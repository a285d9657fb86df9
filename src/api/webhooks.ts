/** The contract of the `webhooks` routes (see `define.ts`). */
import type { OperationContract } from './define';

export const webhooksApi = {} as const satisfies Record<string, OperationContract>;
