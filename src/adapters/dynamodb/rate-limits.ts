import { RateLimited } from '../../app/errors';
import type { TableRef } from './client';
import { ATTR, RATE_FIELD, rateWindowKey } from './keys';
import { ConditionFailed, conditionalWrite } from './conditions';

/** The largest slice one container leases at a time, as a share of the window's limit. */
const MAX_SLICE_FRACTION = 10;

/** A per-tenant limit: `limit` units per fixed window of `windowSeconds`. */
export interface RateLimit {
  /** The counter's name, part of its key: `requests`, `records`. */
  readonly what: string;
  readonly limit: number;
  readonly windowSeconds: number;
  /** How the limit reads to a client, e.g. `1200 requests per minute`. */
  readonly description: string;
}

/** One container's share of one tenant's window. */
interface WindowShare {
  readonly windowStart: number;
  /** Units this container leased from the window's counter. */
  leased: number;
  /** Units served from them. */
  used: number;
  /** Units of the requests waiting for a lease. */
  waiting: number;
  /** Room the counter had after this container's last write; room only shrinks within a window. */
  room: number;
  /** What this container served in the window before, to size its first slice. */
  readonly usedBefore: number;
  /** The one lease this container has in flight for the window; every request short of units waits for it. */
  inFlight: Promise<void> | undefined;
}

/** The counter after a lease: granted, and the window's total either way. */
interface LeaseResult {
  readonly granted: boolean;
  readonly total: number;
}

/**
 * Per-tenant fixed-window limits, shared by every Lambda container through the billing table
 * but cheap per request: a container leases a slice of the tenant's window (one conditional
 * `ADD`) and serves requests from it in memory until the slice is spent. Concurrent requests of
 * one container wait for its one lease in flight, which covers all of them. Slices start at
 * what the first request needs (half of what the container served in the window before, when
 * it did) and double with what the container serves, up to a tenth of the limit and half the
 * room left: a busy container writes a few times per window, and a container that goes idle
 * holds back at most about what it already served. A slice refused for lack of room is retried
 * at the room the counter reports, down to what the request itself needs; a request is refused
 * only when the window's counter cannot take it. Leases never exceed the limit, so the limit
 * is never exceeded; counters expire by TTL.
 */
export class RateLimiter {
  private readonly shares = new Map<string, WindowShare>();

  constructor(private readonly table: TableRef) {}

  /**
   * Counts `cost` units against the tenant's current window.
   *
   * @throws RateLimited with the seconds until the window ends, when the window cannot take `cost`.
   * @example
   * await limiter.consume('org-1', { what: 'requests', limit: 1200, windowSeconds: 60, description: '1200 requests per minute' });
   */
  async consume(tenantId: string, limit: RateLimit, cost = 1, nowMs = Date.now()): Promise<void> {
    const windowMs = limit.windowSeconds * 1000;
    const windowStart = Math.floor(nowMs / windowMs) * windowMs;
    const retryAfter = Math.max(1, Math.ceil((windowStart + windowMs - nowMs) / 1000));
    if (cost > limit.limit) {
      throw new RateLimited(`${cost} ${limit.what} at once exceed this tenant's whole limit of ${limit.description}; send smaller batches`, retryAfter);
    }
    const share = this.shareOf(tenantId, limit, windowStart, windowMs);
    share.waiting += cost;
    try {
      for (;;) {
        if (share.used + cost <= share.leased) {
          share.used += cost;
          return;
        }
        if (share.inFlight) {
          await share.inFlight;
          continue;
        }
        const needed = share.used + cost - share.leased;
        if (needed > share.room) {
          throw new RateLimited(`Rate limit reached: this tenant may send ${limit.description}; retry in ${retryAfter} s`, retryAfter);
        }
        const lease = this.extend(tenantId, limit, share, needed);
        share.inFlight = lease;
        try {
          await lease;
        } finally {
          share.inFlight = undefined;
        }
      }
    } finally {
      share.waiting -= cost;
    }
  }

  private shareOf(tenantId: string, limit: RateLimit, windowStart: number, windowMs: number): WindowShare {
    const id = `${tenantId}#${limit.what}`;
    const current = this.shares.get(id);
    if (current?.windowStart === windowStart) return current;
    const usedBefore = current?.windowStart === windowStart - windowMs ? current.used : 0;
    const share: WindowShare = { windowStart, leased: 0, used: 0, waiting: 0, room: limit.limit, usedBefore, inFlight: undefined };
    this.shares.set(id, share);
    return share;
  }

  /**
   * Leases at least `needed` more units for the share: what every waiting request needs, or
   * the slow-start slice if larger, within the room left. Leaves the share unchanged but for
   * its `room` when the counter cannot take `needed`.
   */
  private async extend(tenantId: string, limit: RateLimit, share: WindowShare, needed: number): Promise<void> {
    const waitingFor = Math.max(needed, share.used + share.waiting - share.leased);
    const grown = share.used > 0 ? share.used : Math.floor(share.usedBefore / 2);
    const slice = Math.min(Math.ceil(limit.limit / MAX_SLICE_FRACTION), grown, Math.floor(share.room / 2));
    let amount = Math.min(share.room, Math.max(waitingFor, slice));
    for (;;) {
      const result = await this.lease(tenantId, limit, share.windowStart, amount);
      share.room = limit.limit - result.total;
      if (result.granted) {
        share.leased += amount;
        return;
      }
      // Others leased in the meantime: take what is left if that still covers this request.
      if (share.room < needed) return;
      amount = Math.min(amount, share.room);
    }
  }

  private async lease(tenantId: string, limit: RateLimit, windowStart: number, amount: number): Promise<LeaseResult> {
    const windowMs = limit.windowSeconds * 1000;
    try {
      const attributes = await conditionalWrite(this.table, {
        Update: {
          Key: rateWindowKey(tenantId, limit.what, windowStart),
          UpdateExpression: 'ADD #n :amount SET #ttl = :ttl',
          ConditionExpression: 'attribute_not_exists(#n) OR #n <= :room',
          ExpressionAttributeNames: { '#n': RATE_FIELD.leased, '#ttl': ATTR.ttl },
          ExpressionAttributeValues: { ':amount': amount, ':room': limit.limit - amount, ':ttl': Math.ceil((windowStart + 2 * windowMs) / 1000) },
          ReturnValues: 'UPDATED_NEW',
        },
      });
      return { granted: true, total: leasedIn(attributes) };
    } catch (error) {
      if (!(error instanceof ConditionFailed)) throw error;
      return { granted: false, total: leasedIn(error.item) };
    }
  }
}

/** The counter's `leased` value from an item (what the update returned, or the item as it was). */
const leasedIn = (item: Record<string, unknown> | undefined): number => {
  const n = Number(item?.[RATE_FIELD.leased]);
  if (!Number.isFinite(n)) throw new Error(`rate counter without a numeric leased value: ${JSON.stringify(item)}`);
  return n;
};
