import type Stripe from 'stripe';
import { invalidRequest } from './errors';
import type { Params } from './http/params';

/** The pagination params every list endpoint takes. */
export const LIST_PARAMS = ['limit', 'starting_after', 'ending_before', 'expand'] as const;

/**
 * A Stripe list object over `items` (already newest first and filtered): `limit` (1..100,
 * default 10), `starting_after` / `ending_before` cursors, `has_more`.
 */
export const toList = <T extends { id: string }>(items: readonly T[], p: Params, url: string): Stripe.ApiList<T> => {
  const limit = p.int('limit', { min: 1, max: 100 }) ?? 10;
  const after = p.nonEmptyString('starting_after');
  const before = p.nonEmptyString('ending_before');
  if (after !== undefined && before !== undefined)
    throw invalidRequest('You may only specify one of these parameters: starting_after, ending_before.', { code: 'parameters_exclusive' });
  let window: readonly T[] = items;
  let hasMore: boolean;
  if (after !== undefined) {
    const i = items.findIndex((x) => x.id === after);
    if (i < 0) throw invalidRequest(`No such object: '${after}'`, { code: 'resource_missing', param: 'starting_after', status: 400 });
    window = items.slice(i + 1);
    hasMore = window.length > limit;
    window = window.slice(0, limit);
  } else if (before !== undefined) {
    const i = items.findIndex((x) => x.id === before);
    if (i < 0) throw invalidRequest(`No such object: '${before}'`, { code: 'resource_missing', param: 'ending_before', status: 400 });
    const head = items.slice(0, i);
    hasMore = head.length > limit;
    window = head.slice(Math.max(0, head.length - limit));
  } else {
    hasMore = items.length > limit;
    window = items.slice(0, limit);
  }
  return { object: 'list', data: [...window], has_more: hasMore, url };
};

/** Newest first: maps keep creation order, so reversing it is enough. */
export const newestFirst = <T>(map: ReadonlyMap<string, T>): T[] => [...map.values()].reverse();

export const inRange = (value: number, range: { gt?: number; gte?: number; lt?: number; lte?: number } | undefined): boolean =>
  !range ||
  ((range.gt === undefined || value > range.gt) &&
    (range.gte === undefined || value >= range.gte) &&
    (range.lt === undefined || value < range.lt) &&
    (range.lte === undefined || value <= range.lte));
