export type PeriodStatus = 'open' | 'closing' | 'billed';

/** A tenant's usage period as stored: open to records, closing (being billed), or billed. */
export interface StoredPeriod {
  readonly tenant_id: string;
  readonly start: string;
  readonly end: string;
  readonly trial: boolean;
  readonly status: PeriodStatus;
  readonly plan_id: string | null;
  readonly currency: string | null;
  /**
   * On the overage run's index: its usage may bill (the aggregator found it over a quota), or a
   * change closed it early. A period never put there has nothing to bill and stays `open`.
   */
  readonly may_bill?: boolean;
}

/** Usage periods whose end moves before it comes (an upgrade, an immediate cancel, an early end by Stripe). */
export interface PeriodStore {
  /** Ends a period at `at` and closes it to new records (creates it closed if needed); returns it as stored. */
  closeEarly(period: Omit<StoredPeriod, 'status' | 'end'>, at: Date): Promise<StoredPeriod>;
  /** Moves an open period's end earlier; no-op otherwise. */
  shorten(tenantId: string, start: string, at: Date): Promise<void>;
}
