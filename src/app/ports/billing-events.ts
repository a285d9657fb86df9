/** Who caused a change: a user (by id), Stripe, or the system itself. */
export type Actor = { readonly type: 'user'; readonly id: string } | { readonly type: 'stripe' | 'system' };

export interface NewBillingEvent {
  readonly type: string;
  readonly actor: Actor;
  readonly occurredAt: Date;
  readonly data?: Record<string, unknown>;
  /** A deterministic id makes a retried append a no-op (e.g. derived from a Stripe event id). */
  readonly id?: string;
}

/** The append-only audit trail of everything that changed money or access. */
export interface BillingEventStore {
  /** Appends an event; appending the same id again changes nothing and returns false. */
  append(tenantId: string, event: NewBillingEvent): Promise<boolean>;
}

/** An audit-trail entry as stored and listed. */
export interface BillingEvent {
  readonly id: string;
  readonly tenant_id: string;
  readonly type: string;
  readonly actor: Actor;
  readonly occurred_at: string;
  readonly data: Record<string, unknown>;
}

/** The revenue report's reads: every revenue event of a month, across tenants (one index partition). */
export interface RevenueEventSource {
  revenueMonth(month: string): Promise<BillingEvent[]>;
}
