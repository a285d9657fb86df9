import type { ProcessedEventStore } from '../../../src/app/ports/processed-events';

export interface ProcessedMarker {
  readonly type: string;
  readonly processed_at: string;
  readonly ignored_reason?: string;
}

/** Processed Stripe event markers in memory: the first mark of an id wins. */
export class InMemoryProcessedEventStore implements ProcessedEventStore {
  readonly markers = new Map<string, ProcessedMarker>();

  async seen(eventId: string): Promise<boolean> {
    return this.markers.has(eventId);
  }

  async mark(eventId: string, type: string, now: Date, ignoredReason?: string): Promise<boolean> {
    if (this.markers.has(eventId)) return false;
    this.markers.set(eventId, {
      type,
      processed_at: now.toISOString(),
      ...(ignoredReason === undefined ? {} : { ignored_reason: ignoredReason }),
    });
    return true;
  }

  marker(eventId: string): ProcessedMarker | null {
    return this.markers.get(eventId) ?? null;
  }
}
