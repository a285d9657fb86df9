import type { MessageQueue, OutgoingMessage } from '../../../src/app/ports/queue';

export interface InMemoryMessageQueueOptions {
  /**
   * The queue's MaximumMessageSize: a body larger than this is refused, as SQS refuses it (the
   * whole call fails and nothing of it is kept). Unlimited when not given.
   */
  readonly maxMessageBytes?: number;
}

/**
 * A queue that keeps what was sent, call by call. `failNext` makes the next `sendAll` throw
 * (nothing of that call is kept), `failAlways` every one until `recover`.
 */
export class InMemoryMessageQueue implements MessageQueue {
  /** Every message accepted, in order. */
  readonly messages: OutgoingMessage[] = [];
  /** Every accepted `sendAll` call, with the messages it carried. */
  readonly calls: OutgoingMessage[][] = [];
  /** How many `sendAll` calls failed. */
  failures = 0;
  private failure: Error | null = null;
  private failing: Error | null = null;

  constructor(private readonly options: InMemoryMessageQueueOptions = {}) {}

  async sendAll(messages: readonly OutgoingMessage[]): Promise<void> {
    const error = this.failing ?? this.failure;
    if (error) {
      this.failure = null;
      this.failures += 1;
      throw error;
    }
    const ids = new Set(messages.map((m) => m.id));
    if (ids.size !== messages.length) {
      this.failures += 1;
      throw new Error('message ids must be unique within one sendAll call');
    }
    const max = this.options.maxMessageBytes;
    const oversized = max === undefined ? undefined : messages.find((m) => Buffer.byteLength(m.body, 'utf8') > max);
    if (oversized) {
      this.failures += 1;
      throw new Error(`message ${oversized.id} is larger than the queue's ${max} bytes`);
    }
    this.calls.push([...messages]);
    this.messages.push(...messages);
  }

  failNext(error: Error = new Error('queue unavailable')): void {
    this.failure = error;
  }

  failAlways(error: Error = new Error('queue unavailable')): void {
    this.failing = error;
  }

  recover(): void {
    this.failing = null;
    this.failure = null;
  }

  /** The bodies sent so far, parsed as JSON. */
  bodies(): unknown[] {
    return this.messages.map((m) => JSON.parse(m.body) as unknown);
  }

  /** Forgets what was sent (keeps the failure settings). */
  clear(): void {
    this.messages.length = 0;
    this.calls.length = 0;
  }
}
