/** The bounded reads behind the admin overview: maintained counters and the watched subscriptions. */
export interface StatsStore {
  /** Counter name (`arr#usd`, `plan#starter`, `new#2027-01`, ...) -> value. */
  counters(): Promise<Map<string, number>>;
  /** Tenants whose trial ends between `from` and `to`. */
  trialsEnding(from: Date, to: Date): Promise<{ tenant_id: string; trial_end: string; plan_id: string }[]>;
  pastDue(): Promise<{ tenant_id: string; plan_id: string; subscription_id: string }[]>;
}
