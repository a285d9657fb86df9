/**
 * The Admin tab's CSV exports (`GET /admin/exports/{kind}.csv`), the pure part: the default
 * range, the query a range of UTC days becomes, the file name, and the pages joined into one
 * file (every page is a whole CSV with its own header row; only the first one is kept).
 */

export const EXPORT_KINDS = [
  { kind: 'invoices', label: 'Invoices' },
  { kind: 'invoice-lines', label: 'Invoice lines' },
  { kind: 'usage', label: 'Usage' },
  { kind: 'events', label: 'Events' },
] as const;

export type ExportKind = (typeof EXPORT_KINDS)[number]['kind'];

/** Tenants per page: the API's maximum. */
export const EXPORT_PAGE = 100;

const DAY_MS = 86_400_000;
const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** From the first day of the month three months back to today, as UTC days (`YYYY-MM-DD`). */
export const defaultExportDays = (now: Date): { from: string; to: string } => ({
  from: day(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 3, 1)),
  to: day(now.getTime()),
});

/** The API's `from`/`to` for a range of whole UTC days: the start of `from` to the end of `to` (the next day's midnight). */
export const exportRange = (fromDay: string, toDay: string): { from: string; to: string } => ({
  from: `${fromDay}T00:00:00Z`,
  to: `${day(Date.parse(`${toDay}T00:00:00Z`) + DAY_MS)}T00:00:00Z`,
});

export const exportFileName = (kind: ExportKind, fromDay: string, toDay: string): string => `${kind}-${fromDay}-${toDay}.csv`;

/** Where the first record ends (after its CRLF or LF), line breaks inside quoted fields skipped; the text's length if it has none. */
const firstRecordEnd = (csv: string): number => {
  let quoted = false;
  for (let i = 0; i < csv.length; i += 1) {
    const c = csv[i];
    if (c === '"') quoted = !quoted; // a doubled quote toggles twice
    else if (!quoted && c === '\n') return i + 1;
    else if (!quoted && c === '\r') return csv[i + 1] === '\n' ? i + 2 : i + 1;
  }
  return csv.length;
};

/**
 * The pages of one export as one CSV: the first page whole, the header row of every later page
 * dropped; records and their CRLFs kept as sent (a page that does not end in a line break gets a CRLF
 * before the next page's records).
 */
export const joinCsvPages = (pages: readonly string[]): string => {
  let out = '';
  pages.forEach((page, i) => {
    const body = i === 0 ? page : page.slice(firstRecordEnd(page));
    if (body.length === 0) return;
    if (out.length > 0 && !out.endsWith('\n') && !out.endsWith('\r')) out += '\r\n';
    out += body;
  });
  return out;
};
