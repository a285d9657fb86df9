import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { RateLimited } from '../errors';
import type { TableRef } from './client';
import { ATTR, rateWindowKey } from './keys';
import { isConditionFailure } from './conditions';

/** Share of a window's limit one container leases at a time. */
const LEASE_FRACTION = 10;

interface Lease {
  readonly windowStart: number;
  leased: number;
  used: number;
}

/**
 * Per-tenant fixed-window limits, shared by every Lambda container through the billing table
 * but cheap per request: a container leases a slice of the tenant's window (one conditional
 * `ADD`, 1 WCU) and serves requests from it in memory until the slice is spent, so a steady
 * tenant costs one write per tenth of its limit, not one per request. Leases end with their
 * window; an unused slice only makes the limit stricter, never looser. Counters expire by TTL.
 */
export class RateLimiter {
  private readonly leases = new Map<string, Lease>();

  constructor(private readonly table: TableRef) {}

  /** Counts `cost` against the tenant's window; throws `RateLimited` with Retry-After when full. */
  async consume(tenantId: string, what: string, limit: number, windowSeconds: number, cost = 1, nowMs = Date.now()): Promise<void> {
    const windowMs = windowSeconds * 1000;
    const windowStart = Math.floor(nowMs / windowMs) * windowMs;
    const retryAfter = Math.max(1, Math.ceil((windowStart + windowMs - nowMs) / 1000));
    const refuse = () => new RateLimited(`Rate limit reached: ${limit} ${what} per ${windowSeconds} s for this tenant`, retryAfter);
    if (cost > limit) throw refuse();
    const id = `${tenantId}#${what}`;
    let lease = this.leases.get(id);
    if (!lease || lease.windowStart !== windowStart) {
      lease = { windowStart, leased: 0, used: 0 };
      this.leases.set(id, lease);
    }
    if (lease.used + cost <= lease.leased) {
      lease.used += cost;
      return;
    }
    const needed = lease.used + cost - lease.leased;
    const slice = Math.min(limit, Math.max(needed, Math.ceil(limit / LEASE_FRACTION)));
    // Lease a whole slice if the window has room for it, else just what this request needs.
    for (const amount of slice > needed ? [slice, needed] : [needed]) {
      if (await this.lease(tenantId, what, windowStart, windowMs, limit, amount)) {
        lease.leased += amount;
        lease.used += cost;
        return;
      }
    }
    throw refuse();
  }

  private async lease(tenantId: string, what: string, windowStart: number, windowMs: number, limit: number, amount: number): Promise<boolean> {
    try {
      await this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: rateWindowKey(tenantId, what, windowStart),
          UpdateExpression: 'ADD #n :amount SET #ttl = :ttl',
          ConditionExpression: 'attribute_not_exists(#n) OR #n <= :room',
          ExpressionAttributeNames: { '#n': 'leased', '#ttl': ATTR.ttl },
          ExpressionAttributeValues: { ':amount': amount, ':room': limit - amount, ':ttl': Math.ceil((windowStart + 2 * windowMs) / 1000) },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}
