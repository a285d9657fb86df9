/** A page of tenant ids from the directory, in the order of the index queried. */
export interface DirectoryPage {
  readonly tenantIds: string[];
  readonly nextCursor: string | null;
}

/**
 * The admin tenant directory: index entries kept by the writers of a tenant's name, email and
 * subscription in their own transactions, queried by prefix, status or plan (never a table scan).
 */
export interface TenantDirectory {
  /** Tenants whose id, email or name starts with `prefix` (any case), or by status, or by plan, or all. */
  search(criteria: { prefix?: string; status?: string; planId?: string }, page: { limit: number; cursor?: string }): Promise<DirectoryPage>;
}
