import { describe, expect, it } from 'vitest';
import { defaultExportDays, exportFileName, exportRange, joinCsvPages } from '../../../web/src/exports';

// The Admin tab's CSV exports (web/src/exports.ts): pages joined under one header row, CRLFs
// kept; the default range and the query a range of UTC days becomes.

const HEADER = 'invoice_id,tenant_id,memo\r\n';

describe('joinCsvPages', () => {
  it('keeps the first page whole and drops the header row of every later page, CRLFs kept', () => {
    const pages = [`${HEADER}in_1,org-a,x\r\n`, `${HEADER}in_2,org-b,y\r\nin_3,org-b,z\r\n`, `${HEADER}in_4,org-c,w\r\n`];
    expect(joinCsvPages(pages)).toBe(`${HEADER}in_1,org-a,x\r\nin_2,org-b,y\r\nin_3,org-b,z\r\nin_4,org-c,w\r\n`);
  });

  it('keeps quoted line breaks, commas and doubled quotes in records as they were sent', () => {
    const record = 'in_2,org-b,"two\r\nlines, and ""quotes"""\r\n';
    expect(joinCsvPages([`${HEADER}in_1,org-a,x\r\n`, `${HEADER}${record}`])).toBe(`${HEADER}in_1,org-a,x\r\n${record}`);
  });

  it('finds the end of a header row whose quoted name holds a line break', () => {
    const header = '"a\r\nb",c\r\n';
    expect(joinCsvPages([`${header}1,2\r\n`, `${header}3,4\r\n`])).toBe(`${header}1,2\r\n3,4\r\n`);
  });

  it('gives the header alone when every page is empty, and skips empty later pages', () => {
    expect(joinCsvPages([HEADER, HEADER, HEADER])).toBe(HEADER);
    expect(joinCsvPages([`${HEADER}in_1,org-a,x\r\n`, HEADER, `${HEADER}in_2,org-b,y\r\n`])).toBe(`${HEADER}in_1,org-a,x\r\nin_2,org-b,y\r\n`);
  });

  it('puts a CRLF between pages when one does not end in a line break; nothing for no page', () => {
    expect(joinCsvPages(['a,b\r\n1,2', 'a,b\r\n3,4\r\n'])).toBe('a,b\r\n1,2\r\n3,4\r\n');
    expect(joinCsvPages(['a,b', 'a,b'])).toBe('a,b');
    expect(joinCsvPages([])).toBe('');
  });

  it('accepts LF-only pages too', () => {
    expect(joinCsvPages(['a,b\n1,2\n', 'a,b\n3,4\n'])).toBe('a,b\n1,2\n3,4\n');
  });
});

describe('the export range', () => {
  it('defaults to the first day of the month three months back, to today, as UTC days', () => {
    expect(defaultExportDays(new Date('2027-05-17T23:30:00Z'))).toEqual({ from: '2027-02-01', to: '2027-05-17' });
    expect(defaultExportDays(new Date('2027-02-03T00:00:00Z'))).toEqual({ from: '2026-11-01', to: '2027-02-03' });
    expect(defaultExportDays(new Date('2027-03-31T12:00:00Z'))).toEqual({ from: '2026-12-01', to: '2027-03-31' });
  });

  it('sends the start of the first day and the end of the last (the next midnight, UTC)', () => {
    expect(exportRange('2027-09-01', '2027-10-31')).toEqual({ from: '2027-09-01T00:00:00Z', to: '2027-11-01T00:00:00Z' });
    expect(exportRange('2027-12-31', '2027-12-31')).toEqual({ from: '2027-12-31T00:00:00Z', to: '2028-01-01T00:00:00Z' });
  });

  it('names the file after the kind and the days chosen', () => {
    expect(exportFileName('invoice-lines', '2027-09-01', '2027-10-31')).toBe('invoice-lines-2027-09-01-2027-10-31.csv');
  });
});
