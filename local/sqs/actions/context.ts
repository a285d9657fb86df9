import type { Faults } from '../faults';
import type { Input } from '../params';
import type { SqsStore } from '../store';

export interface ActionContext {
  readonly store: SqsStore;
  readonly faults: Faults;
  /** The caller's access key id, reported as the messages' SenderId. */
  readonly senderId: string;
  /** Aborts when the client hangs up or the endpoint closes; long polls stop waiting. */
  readonly signal: AbortSignal;
  /** Message bytes sent or received by this request, for SQS's 64 KiB billing units. */
  payloadBytes: number;
}

/** One SQS action: the decoded JSON input in, the JSON output out (or a thrown `SqsApiError`). */
export type Action = (ctx: ActionContext, input: Input) => unknown;
