/** The contract of the `stripe-webhook` routes (see `define.ts`). */
import type { OperationContract } from './define';

export const stripeWebhookApi = {} as const satisfies Record<string, OperationContract>;
