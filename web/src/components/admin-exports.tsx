import { useRef, useState } from 'react';
import { fieldIssuesOf } from '../api/client';
import { useApp } from '../context';
import { EXPORT_KINDS, EXPORT_PAGE, defaultExportDays, exportFileName, exportRange, joinCsvPages, type ExportKind } from '../exports';
import { Field } from './form';
import { ErrorNotice, Notice } from './status';

type Progress = { readonly kind: ExportKind; readonly page: number } | null;

/** Hands `text` to the browser as a file download (the export needs the bearer token, so a plain link cannot fetch it). */
const saveFile = (text: string, name: string): void => {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
};

/**
 * The CSV exports (`GET /admin/exports/{kind}.csv`): a range of UTC days and one button per
 * kind. A click fetches every page (100 tenants each, through `X-Next-Cursor`), joins them into
 * one CSV with one header row and saves it as `<kind>-<from>-<to>.csv`.
 */
export const ExportsCard = () => {
  const { api } = useApp();
  const [days, setDays] = useState(() => defaultExportDays(new Date()));
  const [progress, setProgress] = useState<Progress>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<Error | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const busy = useRef(false);

  const download = async (kind: ExportKind, label: string) => {
    if (busy.current) return;
    setError(null);
    setSaved(null);
    const missing: Record<string, string> = {};
    if (!days.from) missing.from = 'Choose the first day.';
    if (!days.to) missing.to = 'Choose the last day.';
    setFieldErrors(missing);
    if (Object.keys(missing).length > 0) return;

    busy.current = true;
    const { from, to } = exportRange(days.from, days.to);
    const pages: string[] = [];
    let cursor: string | undefined;
    try {
      do {
        setProgress({ kind, page: pages.length + 1 });
        const answer = await api.callText('exportCsv', { params: { file: `${kind}.csv` }, query: { from, to, limit: EXPORT_PAGE, cursor } });
        pages.push(answer.text);
        cursor = answer.headers.get('x-next-cursor') ?? undefined;
      } while (cursor);
      const name = exportFileName(kind, days.from, days.to);
      saveFile(joinCsvPages(pages), name);
      setSaved(`${label}: saved ${name} (${pages.length} ${pages.length === 1 ? 'page' : 'pages'}).`);
    } catch (e) {
      // A 400 names its fields: `from`/`to` beside their inputs, anything else (`kind`) with the message.
      const beside: Record<string, string> = {};
      const other: string[] = [];
      for (const issue of fieldIssuesOf(e)) {
        if (issue.field === 'from' || issue.field === 'to') beside[issue.field] = `${issue.field === 'to' ? 'To' : 'From'}: ${issue.message}`;
        else other.push(`${issue.field}: ${issue.message}`);
      }
      setFieldErrors(beside);
      const message = e instanceof Error ? e.message : String(e);
      setError(new Error(other.length > 0 ? `${message} (${other.join('; ')})` : message));
    } finally {
      busy.current = false;
      setProgress(null);
    }
  };

  return (
    <section className="card" aria-labelledby="admin-exports" data-testid="admin-exports">
      <h2 id="admin-exports">Exports</h2>
      <p className="muted small">CSV files for every tenant, by UTC day (at most 400 days).</p>
      <div className="search-form">
        <Field id="export-from" label="From (UTC)" error={fieldErrors.from}>
          {(control) => <input {...control} type="date" value={days.from} onChange={(e) => setDays({ ...days, from: e.target.value })} />}
        </Field>
        <Field id="export-to" label="To (UTC)" error={fieldErrors.to}>
          {(control) => <input {...control} type="date" value={days.to} onChange={(e) => setDays({ ...days, to: e.target.value })} />}
        </Field>
      </div>
      <div className="actions export-buttons">
        {EXPORT_KINDS.map(({ kind, label }) => (
          <button key={kind} type="button" className="button-secondary" data-export={kind} disabled={progress !== null} onClick={() => void download(kind, label)}>
            {label}
          </button>
        ))}
      </div>
      <p className="small" role="status" aria-live="polite" data-testid="export-progress">
        {progress ? `${EXPORT_KINDS.find((k) => k.kind === progress.kind)?.label ?? progress.kind}: Page ${progress.page}…` : ''}
      </p>
      {saved ? <Notice kind="success">{saved}</Notice> : null}
      {error ? <ErrorNotice error={error} title="Export failed" /> : null}
    </section>
  );
};
