import { invalidCursor, parseCursorJson } from '../../app/cursor';
import { ATTR, tenantPk } from './keys';

type Key = Record<string, string>;

/** Where the sort key of one query's items lies: a prefix (`begins_with`) or an inclusive range (`BETWEEN`). */
export type SortBounds = { readonly prefix: string } | { readonly start: string; readonly end: string };

/**
 * What a page's `LastEvaluatedKey` holds for one query: exactly these attributes, the partition
 * values fixed, each sort key within its query's bounds. DynamoDB refuses (with a 500 for us) a
 * start key with other attributes or outside the key condition, so a cursor is checked against it.
 */
export interface CursorShape {
  /** Partition attributes and the values this query reads (the tenant's partition, an index partition). */
  readonly fixed: Readonly<Record<string, string>>;
  /** Sort-key attributes and where their values may lie (null: any value). */
  readonly sorted: Readonly<Record<string, SortBounds | null>>;
}

/** The shape of a query over one tenant's partition of the table. */
export const tenantCursorShape = (tenantId: string, sortKey: SortBounds): CursorShape => ({
  fixed: { [ATTR.pk]: tenantPk(tenantId) },
  sorted: { [ATTR.sk]: sortKey },
});

/** DynamoDB's limit for a sort-key value, in UTF-8 bytes. */
const MAX_SORT_KEY_BYTES = 1024;

/** DynamoDB orders string keys by their UTF-8 bytes, not by JavaScript's UTF-16 units. */
const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

const within = (value: string, bounds: SortBounds | null): boolean => {
  if (bounds === null) return true;
  if ('prefix' in bounds) return value.startsWith(bounds.prefix);
  return byteOrder(value, bounds.start) >= 0 && byteOrder(value, bounds.end) <= 0;
};

/**
 * An opaque pagination cursor: DynamoDB's LastEvaluatedKey, base64url-encoded.
 * @example encodeCursor({ PK: 'TENANT#org-1', SK: 'EVENT#2027-01-01T00:00:00.000Z#e1' }) // 'eyJQSyI6...'
 */
export const encodeCursor = (key: Record<string, unknown> | undefined): string | null =>
  key === undefined ? null : Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');

/**
 * Decodes a cursor and checks it is a start key this query could have issued: the same
 * attributes and nothing else, all well-formed strings, the partitions this tenant's, every sort
 * key within the query's bounds. A cursor that was tampered with, taken from another tenant or
 * from another range is a 400 naming `cursor`, never another tenant's page and never a 500.
 * @example
 * decodeCursor(query.cursor, tenantCursorShape(tenantId, { prefix: 'DELIVERY#' }))
 */
export const decodeCursor = (cursor: string | undefined, shape: CursorShape): Key | undefined => {
  if (cursor === undefined) return undefined;
  const parsed = parseCursorJson(cursor);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalidCursor();
  const entries = Object.entries(parsed);
  const expected = [...Object.keys(shape.fixed), ...Object.keys(shape.sorted)];
  if (entries.length !== expected.length || !entries.every(([name]) => expected.includes(name))) throw invalidCursor();
  const key: Key = {};
  for (const [name, value] of entries) {
    if (typeof value !== 'string' || value.length === 0 || !value.isWellFormed()) throw invalidCursor();
    key[name] = value;
  }
  if (Object.entries(shape.fixed).some(([name, value]) => key[name] !== value)) throw invalidCursor();
  for (const [name, bounds] of Object.entries(shape.sorted)) {
    const value = key[name] ?? '';
    if (Buffer.byteLength(value, 'utf8') > MAX_SORT_KEY_BYTES || !within(value, bounds)) throw invalidCursor();
  }
  return key;
};
