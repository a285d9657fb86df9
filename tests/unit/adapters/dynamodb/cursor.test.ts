import { describe, expect, it } from 'vitest';
import { InvalidInput } from '../../../../src/app/errors';
import { decodeCursor, encodeCursor, tenantCursorShape, type CursorShape } from '../../../../src/adapters/dynamodb/cursor';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
const events: CursorShape = tenantCursorShape('org-1', { start: 'EVENT#2027-01-01', end: 'EVENT#2027-02-01\uffff' });
const invoices: CursorShape = {
  fixed: { PK: 'TENANT#org-1', GSI1PK: 'INVOICES#org-1' },
  sorted: { SK: { prefix: 'INVOICE#' }, GSI1SK: null },
};

const refusal = (cursor: string, shape: CursorShape): unknown => {
  try {
    decodeCursor(cursor, shape);
  } catch (error) {
    return error;
  }
  throw new Error('the cursor was accepted');
};

describe('decodeCursor', () => {
  it('returns the key of a cursor this query issued', () => {
    const key = { PK: 'TENANT#org-1', SK: 'EVENT#2027-01-15T00:00:00.000Z#e1' };
    expect(decodeCursor(encodeCursor(key) ?? '', events)).toEqual(key);
    const listed = { PK: 'TENANT#org-1', SK: 'INVOICE#in_1', GSI1PK: 'INVOICES#org-1', GSI1SK: '2027-01-15T00:00:00.000Z#in_1' };
    expect(decodeCursor(b64(listed), invoices)).toEqual(listed);
  });

  it('returns undefined without a cursor', () => {
    expect(decodeCursor(undefined, events)).toBeUndefined();
  });

  it('accepts the range bounds themselves (BETWEEN is inclusive)', () => {
    expect(decodeCursor(b64({ PK: 'TENANT#org-1', SK: 'EVENT#2027-01-01' }), events)).toBeDefined();
    expect(decodeCursor(b64({ PK: 'TENANT#org-1', SK: 'EVENT#2027-02-01\uffff' }), events)).toBeDefined();
  });

  it.each([
    ['before the range', { PK: 'TENANT#org-1', SK: 'EVENT#2026-12-31' }, events],
    ['after the range', { PK: 'TENANT#org-1', SK: 'EVENT#2027-03-01' }, events],
    // In UTF-16 an astral character sorts below U+FFFF; DynamoDB compares UTF-8 bytes, where it is above.
    ['past the end in UTF-8 byte order', { PK: 'TENANT#org-1', SK: 'EVENT#2027-02-01\u{1F4A9}' }, events],
    ['another sort-key prefix', { PK: 'TENANT#org-1', SK: 'PROFILE', GSI1PK: 'INVOICES#org-1', GSI1SK: 'x' }, invoices],
    ['missing the index attributes', { PK: 'TENANT#org-1', SK: 'INVOICE#in_1' }, invoices],
    ['an extra attribute', { PK: 'TENANT#org-1', SK: 'EVENT#2027-01-15', GSI1PK: 'INVOICES#org-1' }, events],
    ["another tenant's partition", { PK: 'TENANT#org-2', SK: 'EVENT#2027-01-15' }, events],
    ['a sort key over 1024 bytes', { PK: 'TENANT#org-1', SK: `INVOICE#${'é'.repeat(510)}`, GSI1PK: 'INVOICES#org-1', GSI1SK: 'x' }, invoices],
    ['an empty value', { PK: 'TENANT#org-1', SK: 'INVOICE#in_1', GSI1PK: 'INVOICES#org-1', GSI1SK: '' }, invoices],
    ['a lone surrogate', { PK: 'TENANT#org-1', SK: 'EVENT#2027-01-15\ud800' }, events],
    ['a number', { PK: 'TENANT#org-1', SK: 5 }, events],
  ])('refuses a key %s with a 400 naming cursor', (_, key, shape) => {
    const error = refusal(b64(key), shape);
    expect(error).toBeInstanceOf(InvalidInput);
    expect((error as InvalidInput).details).toEqual([{ field: 'cursor', message: expect.any(String) }]);
  });

  it.each([['AAAA'], [b64(null)], [b64(['PK'])], [b64('x')]])('refuses %s, which is no key at all', (cursor) => {
    expect(refusal(cursor, events)).toBeInstanceOf(InvalidInput);
  });
});
