import { useEffect, useState, type FormEvent } from 'react';
import { fieldIssuesOf } from '../api/client';
import type { RevenueReport, RevenueReportMonth } from '../api/types';
import { useApp } from '../context';
import { currencyLabel, formatMoney } from '../format';
import {
  MAX_REPORT_MONTHS,
  MOVEMENTS,
  axisMonthLabel,
  axisMoney,
  chartAxis,
  chartSummary,
  currenciesWithData,
  currencyChoices,
  defaultCurrency,
  labelEvery,
  linearScale,
  monthLabel,
  monthTitle,
  rangeProblems,
  rangeQuery,
  revenueColumns,
  rowsOf,
  segmentTitle,
  stackMovements,
  type RangeForm,
} from '../revenue';
import { useResource } from '../use-resource';
import { Field } from './form';
import { ErrorNotice, Loading } from './status';

/**
 * The revenue report (`GET /admin/reports/revenue`, issue 19): a range of UTC months and a
 * currency; the MRR movements of each month as a chart, and the month-by-month table under it.
 * The first answer is the API's default range (the last 12 months on the business clock) and
 * fills the month inputs; the currency shown first is the first one with data.
 */
export const RevenueCard = () => {
  const { api } = useApp();
  const [form, setForm] = useState<RangeForm>({ from: '', to: '' });
  const [query, setQuery] = useState<{ from?: string; to?: string }>({});
  const [chosen, setChosen] = useState<string | null>(null);
  const [problems, setProblems] = useState<{ from?: string; to?: string }>({});
  const { state, reload, refreshing } = useResource(() => api.call('revenueReport', { query }));

  const report = state.status === 'ready' ? state.data : null;
  useEffect(() => {
    if (report) setForm((f) => (f.from || f.to ? f : { from: report.from, to: report.to }));
  }, [report]);

  // A range the API refused: its words beside the field it names.
  const refused = state.status === 'error' ? fieldIssuesOf(state.error) : [];
  const beside = {
    from: problems.from ?? refused.find((i) => i.field === 'from')?.message,
    to: problems.to ?? refused.find((i) => i.field === 'to')?.message,
  };

  const show = (e: FormEvent) => {
    e.preventDefault();
    const found = rangeProblems(form);
    setProblems(found);
    if (found.from || found.to) {
      document.getElementById(found.from ? 'revenue-from' : 'revenue-to')?.focus();
      return;
    }
    setQuery(rangeQuery(form));
    reload();
  };

  const currency = chosen ?? (report ? defaultCurrency(report.months) : 'usd');
  const withData = report ? currenciesWithData(report.months) : [];

  return (
    <section className="card" aria-labelledby="admin-revenue" data-testid="admin-revenue">
      <h2 id="admin-revenue">Revenue</h2>
      <p className="muted small">MRR movements and invoiced revenue per UTC month, one currency at a time (at most {MAX_REPORT_MONTHS} months).</p>
      <form className="search-form" onSubmit={show} noValidate>
        <Field id="revenue-from" label="From month" error={beside.from}>
          {(control) => (
            <input {...control} type="month" placeholder="YYYY-MM" value={form.from} onChange={(e) => setForm({ ...form, from: e.target.value })} />
          )}
        </Field>
        <Field id="revenue-to" label="To month" error={beside.to}>
          {(control) => <input {...control} type="month" placeholder="YYYY-MM" value={form.to} onChange={(e) => setForm({ ...form, to: e.target.value })} />}
        </Field>
        <button type="submit" className="button-secondary" disabled={refreshing} aria-busy={refreshing}>
          {refreshing && report ? 'Loading…' : 'Show'}
        </button>
        <Field id="revenue-currency" label="Currency">
          {(control) => (
            <select {...control} value={currency} onChange={(e) => setChosen(e.target.value)}>
              {(report ? currencyChoices(report.months) : [currency]).map((c) => (
                <option key={c} value={c}>
                  {currencyLabel(c)}
                  {report && !withData.includes(c) ? ' (no data)' : ''}
                </option>
              ))}
            </select>
          )}
        </Field>
      </form>
      {state.status === 'loading' ? (
        <Loading label="Loading the revenue report…" />
      ) : state.status === 'error' ? (
        <ErrorNotice error={state.error} title="Report not shown" onRetry={reload} />
      ) : (
        <Report report={state.data} currency={currency} />
      )}
    </section>
  );
};

const Report = ({ report, currency }: { report: RevenueReport; currency: string }) => {
  const rows = rowsOf(report, currency);
  const range = `${monthLabel(report.from)} to ${monthLabel(report.to)}`;
  if (!currenciesWithData(rows).includes(currency)) {
    return (
      <p className="muted empty-state" data-testid="revenue-empty">
        No revenue in {currencyLabel(currency)} from {range}: no MRR, no invoice, no credit or refund.
      </p>
    );
  }
  return (
    <div className="stack revenue" data-currency={currency} data-from={report.from} data-to={report.to}>
      <MovementChart rows={rows} currency={currency} />
      <RevenueTable rows={rows} currency={currency} range={range} />
    </div>
  );
};

const WIDTH = 720;
const HEIGHT = 280;
const PAD = { top: 12, right: 16, bottom: 40, left: 64 };

/**
 * The MRR movements of each month as stacked bars (new, expansion and reactivation above the
 * axis; contraction and churn below) and ending MRR as a line, on one scale: a month's bars are
 * the line's step from the month before.
 */
const MovementChart = ({ rows, currency }: { rows: readonly RevenueReportMonth[]; currency: string }) => {
  const axis = chartAxis(rows);
  const plotW = WIDTH - PAD.left - PAD.right;
  const y = linearScale(axis.min, axis.max, HEIGHT - PAD.bottom, PAD.top);
  const slot = plotW / Math.max(1, rows.length);
  const center = (k: number) => PAD.left + k * slot + slot / 2;
  const barW = Math.max(2, Math.min(40, slot * 0.6));
  const every = labelEvery(rows.length);
  const line = rows.map((r, k) => `${k === 0 ? 'M' : 'L'}${center(k).toFixed(1)},${y(r.mrr.ending).toFixed(1)}`).join(' ');

  return (
    <figure className="chart revenue-chart" data-testid="revenue-chart">
      <ul className="chart-legend" aria-hidden="true">
        {MOVEMENTS.map((m) => (
          <li key={m.kind}>
            <span className={`legend-swatch revenue-${m.kind}`} />
            {m.label}
          </li>
        ))}
        <li>
          <span className="legend-line" />
          Ending MRR
        </li>
      </ul>
      <div className="chart-scroll">
        <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={chartSummary(rows, currency)}>
          {axis.ticks.map((t) => (
            <g key={t} className={t === 0 ? 'chart-grid chart-zero' : 'chart-grid'}>
              <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(t)} y2={y(t)} />
              <text x={PAD.left - 6} y={y(t) + 4} textAnchor="end">
                {axisMoney(t, currency)}
              </text>
            </g>
          ))}
          {rows.map((r, k) => (
            <g key={r.month} className="revenue-month" data-month={r.month}>
              <title>{monthTitle(r)}</title>
              {stackMovements(r.mrr).map((s) => (
                <rect
                  key={s.kind}
                  className={`revenue-bar revenue-${s.kind}`}
                  data-kind={s.kind}
                  x={center(k) - barW / 2}
                  width={barW}
                  y={Math.min(y(s.y0), y(s.y1))}
                  height={Math.max(1, Math.abs(y(s.y1) - y(s.y0)))}
                >
                  <title>{segmentTitle(r.month, s, currency)}</title>
                </rect>
              ))}
              {k % every === 0 ? <MonthTick month={r.month} first={k === 0} x={center(k)} /> : null}
            </g>
          ))}
          <path className="revenue-line" d={line} />
          {rows.map((r, k) => (
            <circle key={r.month} className="revenue-point" data-month={r.month} cx={center(k)} cy={y(r.mrr.ending)} r={3.5}>
              <title>{`${monthLabel(r.month)}, ending MRR: ${formatMoney(r.mrr.ending, currency)}`}</title>
            </circle>
          ))}
        </svg>
      </div>
      <figcaption>
        MRR movements per month in {currencyLabel(currency)}: what was added above the axis, what was lost below it; the line is MRR at the end of each month. The
        table below has every figure.
      </figcaption>
    </figure>
  );
};

/** A month under the axis, with its year under January and under the first month shown. */
const MonthTick = ({ month, first, x }: { month: string; first: boolean; x: number }) => {
  const label = axisMonthLabel(month, first);
  return (
    <text className="chart-axis" x={x} y={HEIGHT - PAD.bottom + 16} textAnchor="middle">
      <tspan>{label.month}</tspan>
      {label.year ? (
        <tspan x={x} dy="13">
          {label.year}
        </tspan>
      ) : null}
    </text>
  );
};

const RevenueTable = ({ rows, currency, range }: { rows: readonly RevenueReportMonth[]; currency: string; range: string }) => {
  const columns = revenueColumns(rows);
  const span = (group: string) => columns.filter((c) => c.group === group).length;
  const others = columns.filter((c) => c.group === 'other');
  return (
    <div className="table-scroll revenue-table" role="region" aria-labelledby="revenue-caption" tabIndex={0}>
      <table data-testid="revenue-table">
        <caption id="revenue-caption" className="visually-hidden">
          Revenue in {currencyLabel(currency)} per month, {range}
        </caption>
        <thead>
          <tr>
            <th scope="col" rowSpan={2}>
              Month
            </th>
            <th scope="colgroup" colSpan={span('mrr')} className="group-head">
              MRR
            </th>
            <th scope="colgroup" colSpan={span('invoiced')} className="group-head">
              Invoiced
            </th>
            {others.map((c) => (
              <th key={c.key} scope="col" rowSpan={2} className="num" data-col={c.key}>
                {c.label}
              </th>
            ))}
          </tr>
          <tr>
            {columns
              .filter((c) => c.group !== 'other')
              .map((c) => (
                <th key={c.key} scope="col" className="num" data-col={c.key}>
                  {c.label}
                </th>
              ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.month} data-month={r.month}>
              <th scope="row">{monthLabel(r.month)}</th>
              {columns.map((c) => (
                <td key={c.key} className="num" data-col={c.key}>
                  {formatMoney(c.value(r), currency)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
};
