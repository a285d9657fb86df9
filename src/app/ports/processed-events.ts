/** Which Stripe events were processed, so each is acted on once. */
export interface ProcessedEventStore {
  seen(eventId: string): Promise<boolean>;
  /** Marks the event processed (with why it was ignored, if it was); false when it already was. */
  mark(eventId: string, type: string, now: Date, ignoredReason?: string): Promise<boolean>;
}
