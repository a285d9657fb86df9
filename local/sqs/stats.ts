/** SQS bills each started 64 KiB of payload as one request (a 256 KiB send is 4 requests). */
export const BILLING_CHUNK_BYTES = 65_536;

export interface SqsStats {
  /** API calls by action, errors included. */
  readonly requests: Readonly<Record<string, number>>;
  /** The same calls as SQS bills them: each started 64 KiB of message payload counts once. */
  readonly billedRequests: Readonly<Record<string, number>>;
  readonly totalRequests: number;
  readonly totalBilledRequests: number;
}

/** Billed units of one call that carried (sent or received) `payloadBytes` of messages. */
export const billedUnits = (payloadBytes: number): number => Math.max(1, Math.ceil(payloadBytes / BILLING_CHUNK_BYTES));

export class RequestMeter {
  private requests: Record<string, number> = {};
  private billed: Record<string, number> = {};

  record(action: string, payloadBytes: number): void {
    this.requests[action] = (this.requests[action] ?? 0) + 1;
    this.billed[action] = (this.billed[action] ?? 0) + billedUnits(payloadBytes);
  }

  snapshot(): SqsStats {
    const sum = (r: Record<string, number>): number => Object.values(r).reduce((a, b) => a + b, 0);
    return { requests: { ...this.requests }, billedRequests: { ...this.billed }, totalRequests: sum(this.requests), totalBilledRequests: sum(this.billed) };
  }

  reset(): void {
    this.requests = {};
    this.billed = {};
  }
}
