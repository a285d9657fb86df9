import { describe, expect, it } from 'vitest';
import { csvField, toCsv } from '../../../src/platform/csv';

describe('csvField', () => {
  it('leaves plain text and numbers as they are, and empty for nothing', () => {
    expect(csvField('in_123')).toBe('in_123');
    expect(csvField(9_900)).toBe('9900');
    expect(csvField(9_007_199_254_740_993n)).toBe('9007199254740993');
    expect(csvField(false)).toBe('false');
    expect(csvField(null)).toBe('');
    expect(csvField(undefined)).toBe('');
  });

  it('quotes a field with a comma, a quote or a line break, doubling its quotes (RFC 4180)', () => {
    expect(csvField('Beta, Ltd')).toBe('"Beta, Ltd"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('line one\nline two')).toBe('"line one\nline two"');
    expect(csvField('a\r\nb')).toBe('"a\r\nb"');
  });
});

describe('toCsv', () => {
  it('writes a header row and ends every record with CRLF', () => {
    expect(toCsv(['id', 'name'], [['t1', 'A, "B"'], ['t2', null]])).toBe('id,name\r\nt1,"A, ""B"""\r\nt2,\r\n');
    expect(toCsv(['id'], [])).toBe('id\r\n');
  });
});
