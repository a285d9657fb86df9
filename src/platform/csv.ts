/** A CSV cell: text, a number (bigint too), a boolean, or nothing (an empty cell). */
export type CsvCell = string | number | bigint | boolean | null | undefined;

const NEEDS_QUOTES = /[",\r\n]/;

/**
 * One RFC 4180 field: quoted when it holds a comma, a quote or a line break, quotes doubled.
 * @example csvField('say "hi", twice') // '"say ""hi"", twice"'
 */
export const csvField = (value: CsvCell): string => {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'string' ? value : String(value);
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};

/**
 * Rows as RFC 4180 CSV: a header row, CRLF after every record.
 * @example toCsv(['id', 'amount'], [['in_1', 9900]]) // 'id,amount\r\nin_1,9900\r\n'
 */
export const toCsv = (header: readonly string[], rows: readonly (readonly CsvCell[])[]): string =>
  [header, ...rows].map((row) => `${row.map(csvField).join(',')}\r\n`).join('');
