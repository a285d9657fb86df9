import { IDEMPOTENCY_TTL } from './config';
import type { IdempotencyEntry, StripeState } from './store';
import type { ParamMap, ParamValue } from './http/form';

export type IdempotencyLookup =
  | { readonly kind: 'new' }
  | { readonly kind: 'replay'; readonly entry: IdempotencyEntry }
  | { readonly kind: 'mismatch' }
  | { readonly kind: 'in_flight' };

const canonical = (value: ParamValue): unknown => {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(canonical);
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => {
        const v = value[k];
        return [k, v === undefined ? null : canonical(v)];
      }),
  );
};

/** What a replay must match: the same method, path and parameters. */
export const fingerprint = (method: string, path: string, params: ParamMap): string =>
  JSON.stringify([method, path, canonical(params)]);

/**
 * Stripe's idempotent requests: the first response to a key is stored for 24 hours (simulated
 * time) and replayed for the same request; the key with other parameters is an
 * `idempotency_error`. Requests Stripe refuses before executing (validation errors) are not
 * stored, so they can be retried with the same key.
 */
export class IdempotencyKeys {
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly state: StripeState,
    private readonly now: () => number,
  ) {}

  lookup(key: string, print: string): IdempotencyLookup {
    this.prune();
    if (this.inFlight.has(key)) return { kind: 'in_flight' };
    const entry = this.state.idempotency.get(key);
    if (!entry) return { kind: 'new' };
    return entry.fingerprint === print ? { kind: 'replay', entry } : { kind: 'mismatch' };
  }

  begin(key: string): void {
    this.inFlight.add(key);
  }

  finish(key: string, entry: Omit<IdempotencyEntry, 'createdAt' | 'key'> | null): void {
    this.inFlight.delete(key);
    if (entry) this.state.idempotency.set(key, { ...entry, key, createdAt: this.now() });
  }

  private prune(): void {
    const cutoff = this.now() - IDEMPOTENCY_TTL;
    // Entries are stored in creation order, so the expired ones are at the front.
    for (const [key, entry] of this.state.idempotency) {
      if (entry.createdAt > cutoff) break;
      this.state.idempotency.delete(key);
    }
  }
}
