/**
 * Deep copies of stored objects. Plain objects and arrays are copied; anything else (strings,
 * numbers, the SDK's immutable `Decimal`) is shared.
 */
export const clone = <T>(value: T): T => copy(value) as T;

const isPlainObject = (v: unknown): v is Record<string, unknown> => {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

const copy = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(copy);
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = copy(v);
    return out;
  }
  return value;
};

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * What `data.previous_attributes` holds for an `*.updated` event: the old values of the fields
 * that changed. Nested hashes are narrowed to their changed keys, as Stripe does; lists are
 * given whole.
 */
export const previousAttributes = (before: object, after: object): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  const b = before as Record<string, unknown>;
  const a = after as Record<string, unknown>;
  for (const key of new Set([...Object.keys(b), ...Object.keys(a)])) {
    const old = b[key];
    const now = a[key];
    if (same(old, now)) continue;
    const isList = isPlainObject(old) && old['object'] === 'list';
    out[key] = isPlainObject(old) && isPlainObject(now) && !isList ? previousAttributes(old, now) : copy(old ?? null);
  }
  return out;
};
