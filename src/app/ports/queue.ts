export interface OutgoingMessage {
  /** Unique within one `sendAll` call. */
  readonly id: string;
  readonly body: string;
}

/** A queue the use cases put messages on (usage, overage work, tenant webhooks). */
export interface MessageQueue {
  sendAll(messages: readonly OutgoingMessage[]): Promise<void>;
}

/** The webhook queue, as far as retries need it. */
export interface RetryControl {
  /** Hides a received message for `seconds` (SQS ChangeMessageVisibility): the backoff. */
  delay(receiptHandle: string, seconds: number): Promise<void>;
  /** The queue's maxReceiveCount (its redrive policy), or null when unknown. */
  maxReceiveCount(): Promise<number | null>;
}
