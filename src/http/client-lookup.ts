import type { ClientMapping } from '../app/ports/api-clients';

/** Finds what an OAuth client id maps to (the table's mapping item), or null. */
export type ClientLookup = (clientId: string) => Promise<ClientMapping | null>;

/**
 * `lookup` with active mappings remembered for `ttlMs` per container: a busy service costs one
 * read per few seconds, and a revoked client is refused everywhere within `ttlMs` (at once in a
 * container that has not just seen it). Unknown and revoked answers are never remembered.
 * @example const cached = cachedClientLookup(repository.lookup.bind(repository), { ttlMs: 5_000 });
 */
export const cachedClientLookup = (lookup: ClientLookup, options: { ttlMs: number; now?: () => number }): ClientLookup => {
  const now = options.now ?? Date.now;
  const cache = new Map<string, { mapping: ClientMapping; until: number }>();
  return async (clientId) => {
    const hit = cache.get(clientId);
    if (hit && hit.until > now()) return hit.mapping;
    cache.delete(clientId);
    const mapping = await lookup(clientId);
    if (mapping?.status === 'active' && options.ttlMs > 0) {
      // Bounded: a container sees a few clients; drop the oldest past a thousand.
      if (cache.size >= 1_000) cache.delete(cache.keys().next().value ?? '');
      cache.set(clientId, { mapping, until: now() + options.ttlMs });
    }
    return mapping;
  };
};
