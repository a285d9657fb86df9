import { clone } from './clone';
import { invalidRequest } from './errors';

/** Finds the object behind an id for an expandable field name (`customer`, `latest_invoice`, ...). */
export type Resolver = (field: string, id: string) => object | undefined | null;

const MAX_DEPTH = 4;

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

const walk = (node: unknown, segments: readonly string[], path: string, resolve: Resolver): void => {
  if (segments.length === 0 || node === null || node === undefined) return;
  const [head, ...rest] = segments;
  if (head === undefined) return;
  if (Array.isArray(node)) {
    for (const item of node) walk(item, segments, path, resolve);
    return;
  }
  if (!isRecord(node)) return;
  if (node['object'] === 'list' && head === 'data') {
    walk(node['data'], rest, path, resolve);
    return;
  }
  const value = node[head];
  if (typeof value === 'string') {
    const found = resolve(head, value);
    if (found === null) throw invalidRequest(`This property cannot be expanded (${path}).`, { param: 'expand' });
    if (found !== undefined) node[head] = clone(found);
  } else if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string')) {
    // A list of ids (`discounts`): each is expanded.
    node[head] = value.map((id: string) => {
      const found = resolve(head, id);
      if (found === null) throw invalidRequest(`This property cannot be expanded (${path}).`, { param: 'expand' });
      return found === undefined ? id : clone(found);
    });
  } else if (value === undefined) {
    throw invalidRequest(`This property cannot be expanded (${path}).`, { param: 'expand' });
  }
  walk(node[head], rest, path, resolve);
};

/**
 * Applies `expand[]` paths (`latest_invoice`, `customer`, `items.data.price.product`,
 * `data.customer` on lists) to a copy of `value`. Ids of a field that cannot be expanded
 * (the resolver answers null) give Stripe's 400.
 */
export const expandPaths = <T>(value: T, paths: readonly string[], resolve: Resolver): T => {
  const out = clone(value);
  for (const path of paths) {
    const segments = path.split('.');
    if (segments.length > MAX_DEPTH + 1 || segments.some((s) => s === ''))
      throw invalidRequest(`You cannot expand more than ${MAX_DEPTH} levels of a property (${path}).`, { param: 'expand' });
    walk(out, segments, path, resolve);
  }
  return out;
};
