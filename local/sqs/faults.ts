/** A SendMessageBatch entry as fault predicates see it. */
export interface SendEntry {
  readonly queueName: string;
  readonly id: string;
  readonly body: string;
}

interface EntryFault {
  remaining: number;
  readonly where: (entry: SendEntry) => boolean;
}

interface RequestFault {
  remaining: number;
  readonly action: string | undefined;
}

/**
 * Failures injected on purpose, so retry logic can be tested against the real SDK: batch entries
 * reported in `Failed` (`InternalError`, `SenderFault: false`, as SQS reports a server-side
 * failure of one entry), and whole requests answered with a 500 (which the SDK itself retries).
 */
export class Faults {
  private readonly entries: EntryFault[] = [];
  private readonly requests: RequestFault[] = [];

  failNextSendEntries(count: number, where: (entry: SendEntry) => boolean = () => true): void {
    if (count > 0) this.entries.push({ remaining: count, where });
  }

  failNextRequests(count: number, action?: string): void {
    if (count > 0) this.requests.push({ remaining: count, action });
  }

  /** True (and counted) when this entry is to fail. */
  takeEntry(entry: SendEntry): boolean {
    const fault = this.entries.find((f) => f.remaining > 0 && f.where(entry));
    if (!fault) return false;
    fault.remaining -= 1;
    return true;
  }

  takeRequest(action: string): boolean {
    const fault = this.requests.find((f) => f.remaining > 0 && (f.action === undefined || f.action === action));
    if (!fault) return false;
    fault.remaining -= 1;
    return true;
  }

  clear(): void {
    this.entries.length = 0;
    this.requests.length = 0;
  }
}
