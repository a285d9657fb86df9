import { formatDate, formatNumber, formatQuantity, resourceLabels } from '../format';
import type { HistoryItem, Resource } from '../api/types';

const DAY_MS = 86_400_000;
const WIDTH = 720;
const HEIGHT = 220;
const PAD = { top: 12, right: 12, bottom: 28, left: 56 };

const dayStart = (ms: number): number => Math.floor(ms / DAY_MS) * DAY_MS;

/**
 * Daily usage over the period as plain SVG bars (counters: the day's sum; gauges: the day's
 * peak), with the quota as a dashed line where it is in range, and the figures as a table
 * for screen readers and anyone who wants numbers.
 */
export const UsageChart = ({
  resource,
  items,
  period,
  included,
  gauge,
}: {
  resource: Resource;
  items: readonly HistoryItem[];
  period: { start: string; end: string };
  included: number | null;
  gauge: boolean;
}) => {
  const first = dayStart(Date.parse(period.start));
  const last = dayStart(Date.parse(period.end) - 1);
  const days = Math.max(1, Math.round((last - first) / DAY_MS) + 1);
  const byDay = new Map(items.map((i) => [dayStart(Date.parse(i.start)), i.quantity]));
  const values = Array.from({ length: days }, (_, k) => byDay.get(first + k * DAY_MS) ?? 0);
  const peak = Math.max(...values, gauge && included ? included : 0, 1);
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const slot = plotW / days;
  const y = (v: number) => PAD.top + plotH - (v / peak) * plotH;
  const name = resourceLabels[resource].name;
  const titleId = `chart-${resource}-title`;
  const descId = `chart-${resource}-desc`;
  const total = values.reduce((a, b) => a + b, 0);
  const withData = values.map((v, k) => ({ v, k })).filter(({ v }) => v > 0);

  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-labelledby={`${titleId} ${descId}`}>
        <title id={titleId}>{`${name} per day, ${formatDate(period.start)} to ${formatDate(period.end)}`}</title>
        <desc id={descId}>
          {gauge
            ? `Peak of the day; highest ${formatQuantity(Math.max(...values), resource)}.`
            : `Sum of the day; ${formatQuantity(total, resource)} in the period so far.`}
        </desc>
        {[0, 0.5, 1].map((f) => (
          <g key={f} className="chart-grid">
            <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(peak * f)} y2={y(peak * f)} />
            <text x={PAD.left - 6} y={y(peak * f) + 4} textAnchor="end">
              {formatNumber(Math.round(peak * f))}
            </text>
          </g>
        ))}
        {values.map((v, k) =>
          v > 0 ? (
            <rect
              key={k}
              className="chart-bar"
              x={PAD.left + k * slot + slot * 0.15}
              width={Math.max(1, slot * 0.7)}
              y={y(v)}
              height={Math.max(1, PAD.top + plotH - y(v))}
            >
              <title>{`${formatDate(new Date(first + k * DAY_MS).toISOString())}: ${formatQuantity(v, resource)}`}</title>
            </rect>
          ) : null,
        )}
        {gauge && included ? <line className="chart-quota" x1={PAD.left} x2={WIDTH - PAD.right} y1={y(included)} y2={y(included)} /> : null}
        {(
          [
            [0, 'start'],
            [Math.floor((days - 1) / 2), 'middle'],
            [days - 1, 'end'],
          ] as const
        ).map(([k, anchor]) => (
          <text
            key={anchor}
            className="chart-axis"
            x={anchor === 'start' ? PAD.left : anchor === 'end' ? WIDTH - PAD.right : PAD.left + k * slot + slot / 2}
            y={HEIGHT - 8}
            textAnchor={anchor}
          >
            {formatDate(new Date(first + k * DAY_MS).toISOString())}
          </text>
        ))}
      </svg>
      <figcaption>
        {name}: {gauge ? 'the highest level of each day' : 'the total of each day'} (UTC days)
        {gauge && included ? '; the dashed line is the quota' : ''}.
      </figcaption>
      <details>
        <summary>Show the figures as a table</summary>
        {withData.length === 0 ? (
          <p>No usage recorded in this period yet.</p>
        ) : (
          <table>
            <caption className="visually-hidden">{name} per day</caption>
            <thead>
              <tr>
                <th scope="col">Day (UTC)</th>
                <th scope="col">{name}</th>
              </tr>
            </thead>
            <tbody>
              {withData.map(({ v, k }) => (
                <tr key={k}>
                  <td>{formatDate(new Date(first + k * DAY_MS).toISOString())}</td>
                  <td className="num">{formatNumber(v)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </details>
    </figure>
  );
};
