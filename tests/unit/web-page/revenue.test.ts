import { describe, expect, it } from 'vitest';
import type { RevenueReport, RevenueReportMonth } from '../../../web/src/api/types';
import { formatMoney } from '../../../web/src/format';
import {
  axisMonthLabel,
  axisMoney,
  chartAxis,
  chartSummary,
  currenciesWithData,
  currencyChoices,
  defaultCurrency,
  labelEvery,
  linearScale,
  monthIndex,
  monthTitle,
  niceAxis,
  niceStep,
  rangeProblems,
  rangeQuery,
  revenueColumns,
  rowsOf,
  segmentTitle,
  stackMovements,
} from '../../../web/src/revenue';

// The Admin tab's revenue report (web/src/revenue.ts): the range the form asks for, the currency
// shown first, the MRR movements stacked into bars on round axes, and the table's columns.

const ZERO_MRR = { starting: 0, new: 0, expansion: 0, contraction: 0, churn: 0, reactivation: 0, ending: 0 };
const ZERO_INVOICED = { invoices: 0, subscription: 0, proration: 0, usage: 0, other: 0, discount: 0, tax: 0, total: 0 };

const row = (
  month: string,
  currency: RevenueReportMonth['currency'],
  over: { mrr?: Partial<RevenueReportMonth['mrr']>; invoiced?: Partial<RevenueReportMonth['invoiced']>; credits?: number; refunds?: number } = {},
): RevenueReportMonth => ({
  month,
  currency,
  mrr: { ...ZERO_MRR, ...over.mrr },
  invoiced: { ...ZERO_INVOICED, ...over.invoiced },
  credits: over.credits ?? 0,
  refunds: over.refunds ?? 0,
});

describe('months', () => {
  it('counts months from year 0, so that a range is a subtraction across years', () => {
    expect(monthIndex('2027-03') - monthIndex('2026-12')).toBe(3);
    expect(monthIndex('2027-12') - monthIndex('2025-01')).toBe(35);
  });

  it('labels the axis with the month, and the year under January and the first month shown', () => {
    expect(axisMonthLabel('2026-11', true)).toEqual({ month: 'Nov', year: '2026' });
    expect(axisMonthLabel('2026-12', false)).toEqual({ month: 'Dec', year: null });
    expect(axisMonthLabel('2027-01', false)).toEqual({ month: 'Jan', year: '2027' });
  });
});

describe('rangeProblems', () => {
  it('accepts empty fields (the API fills them in) and a range of up to 36 months', () => {
    expect(rangeProblems({ from: '', to: '' })).toEqual({});
    expect(rangeProblems({ from: '2027-01', to: '' })).toEqual({});
    expect(rangeProblems({ from: '2025-01', to: '2027-12' })).toEqual({});
    expect(rangeProblems({ from: '2027-04', to: '2027-04' })).toEqual({});
  });

  it('says beside "To" when it is before "From" or more than 36 months after it', () => {
    expect(rangeProblems({ from: '2027-05', to: '2027-04' })).toEqual({ to: 'Choose a month from the first one on.' });
    expect(rangeProblems({ from: '2024-12', to: '2027-12' })).toEqual({ to: 'Choose at most 36 months.' });
  });

  it('says beside each field when it is not a month', () => {
    expect(rangeProblems({ from: '2027-13', to: '27-1' })).toEqual({ from: 'Enter a month as YYYY-MM.', to: 'Enter a month as YYYY-MM.' });
  });

  it('asks the API for the fields given only', () => {
    expect(rangeQuery({ from: '', to: '' })).toEqual({});
    expect(rangeQuery({ from: '2027-01', to: '' })).toEqual({ from: '2027-01' });
    expect(rangeQuery({ from: '2027-01', to: '2027-06' })).toEqual({ from: '2027-01', to: '2027-06' });
  });
});

describe('the currency shown', () => {
  const months = [row('2027-01', 'eur', { mrr: { new: 100, ending: 100 } }), row('2027-01', 'gbp'), row('2027-01', 'usd', { credits: 500 })];

  it('is the first currency with any figure other than 0, in the catalog’s order (USD, EUR, GBP)', () => {
    expect(currenciesWithData(months)).toEqual(['usd', 'eur']);
    expect(defaultCurrency(months)).toBe('usd');
    expect(defaultCurrency(months.filter((r) => r.currency !== 'usd'))).toBe('eur');
  });

  it('is USD when nothing has data', () => {
    expect(defaultCurrency([])).toBe('usd');
    expect(defaultCurrency([row('2027-01', 'gbp')])).toBe('usd');
  });

  it('is chosen among the catalog’s currencies and any other the report has', () => {
    expect(currencyChoices([])).toEqual(['usd', 'eur', 'gbp']);
    expect(currencyChoices([{ ...row('2027-01', 'usd'), currency: 'chf' }])).toEqual(['usd', 'eur', 'gbp', 'chf']);
  });

  it('has its rows month by month, the other currencies’ left out', () => {
    const report: RevenueReport = { from: '2027-01', to: '2027-02', currency: null, months: [row('2027-02', 'usd'), row('2027-01', 'eur'), row('2027-01', 'usd')] };
    expect(rowsOf(report, 'usd').map((r) => r.month)).toEqual(['2027-01', '2027-02']);
  });
});

describe('stackMovements', () => {
  it('stacks new, expansion and reactivation upwards from 0, and contraction then churn downwards', () => {
    const segments = stackMovements({ ...ZERO_MRR, new: 300, expansion: 200, reactivation: 100, contraction: 50, churn: 25 });
    expect(segments.map((s) => [s.kind, s.amount, s.y0, s.y1])).toEqual([
      ['new', 300, 0, 300],
      ['expansion', 200, 300, 500],
      ['reactivation', 100, 500, 600],
      ['contraction', -50, 0, -50],
      ['churn', -25, -50, -75],
    ]);
  });

  it('leaves out movements of 0, so that a quiet month has no bar', () => {
    expect(stackMovements({ ...ZERO_MRR, starting: 9_900, ending: 9_900 })).toEqual([]);
    expect(stackMovements({ ...ZERO_MRR, churn: 9_900 }).map((s) => [s.kind, s.y0, s.y1])).toEqual([['churn', 0, -9_900]]);
  });
});

describe('the chart’s scale', () => {
  it('steps by 1, 2, 2.5 or 5 times a power of ten, never less than one minor unit', () => {
    expect(niceStep(76_483, 4)).toBe(20_000);
    expect(niceStep(1_000, 4)).toBe(250);
    expect(niceStep(106_383, 4)).toBe(50_000);
    expect(niceStep(3, 4)).toBe(1);
    expect(niceStep(0, 4)).toBe(1);
  });

  it('covers 0 and every value with whole steps, 0 among the ticks', () => {
    expect(niceAxis([76_483, -19_900])).toEqual({ min: -25_000, max: 100_000, ticks: [-25_000, 0, 25_000, 50_000, 75_000, 100_000] });
    expect(niceAxis([9_900])).toEqual({ min: 0, max: 10_000, ticks: [0, 2_500, 5_000, 7_500, 10_000] });
    expect(niceAxis([0, 0])).toEqual({ min: 0, max: 100, ticks: [0, 100] });
  });

  it('puts the bars’ stacks and ending MRR on one axis', () => {
    const rows = [row('2027-01', 'usd', { mrr: { new: 76_483, ending: 76_483 } }), row('2027-05', 'usd', { mrr: { starting: 76_483, churn: 29_900, ending: 46_583 } })];
    expect(chartAxis(rows)).toMatchObject({ min: -50_000, max: 100_000 });
  });

  it('maps the domain onto pixels, upside down for SVG, and a zero-width domain onto its start', () => {
    const y = linearScale(-100, 300, 240, 40);
    expect(y(-100)).toBe(240);
    expect(y(0)).toBe(190);
    expect(y(300)).toBe(40);
    expect(linearScale(5, 5, 10, 20)(5)).toBe(10);
  });

  it('labels the ticks short, in major units without cents', () => {
    expect(axisMoney(20_000, 'usd')).toMatch(/^\$?200\s?\$?$/);
    expect(axisMoney(-2_500_000, 'eur')).toMatch(/25\s?K/);
  });

  it('labels every month up to 12, then every 2nd or 3rd', () => {
    expect(labelEvery(1)).toBe(1);
    expect(labelEvery(12)).toBe(1);
    expect(labelEvery(13)).toBe(2);
    expect(labelEvery(36)).toBe(3);
  });
});

describe('the chart’s words', () => {
  const rows = [
    row('2027-01', 'usd', { mrr: { new: 9_900, ending: 9_900 } }),
    row('2027-02', 'usd', { mrr: { starting: 9_900, expansion: 20_000, ending: 29_900 } }),
    row('2027-03', 'usd', { mrr: { starting: 29_900, churn: 29_900, ending: 0 } }),
  ];

  it('titles each bar with its month, movement and signed amount', () => {
    const [expansion] = stackMovements(rows[1]?.mrr ?? ZERO_MRR);
    const [churn] = stackMovements(rows[2]?.mrr ?? ZERO_MRR);
    if (!expansion || !churn) throw new Error('no segments');
    expect(segmentTitle('2027-02', expansion, 'usd')).toBe(`Feb 2027, expansion: +${formatMoney(20_000, 'usd')}`);
    expect(segmentTitle('2027-03', churn, 'usd')).toBe(`Mar 2027, churn: ${formatMoney(-29_900, 'usd')}`);
  });

  it('sums a month up, and a month with no movement says so', () => {
    expect(monthTitle(rows[1] ?? row('2027-02', 'usd'))).toBe(`Feb 2027: expansion +${formatMoney(20_000, 'usd')}; ending MRR ${formatMoney(29_900, 'usd')}`);
    expect(monthTitle(row('2027-04', 'usd'))).toBe(`Apr 2027: no movement; ending MRR ${formatMoney(0, 'usd')}`);
  });

  it('summarises the range: MRR at its start and end, and each movement’s sum', () => {
    expect(chartSummary(rows, 'usd')).toBe(
      `MRR movements in USD per month, Jan 2027 to Mar 2027: MRR ${formatMoney(0, 'usd')} at the start, ${formatMoney(0, 'usd')} at the end; ` +
        `new +${formatMoney(9_900, 'usd')}, expansion +${formatMoney(20_000, 'usd')}, reactivation ${formatMoney(0, 'usd')}, contraction ${formatMoney(0, 'usd')}, churn ${formatMoney(-29_900, 'usd')}.`,
    );
    expect(chartSummary([], 'eur')).toBe('MRR movements in EUR: no months.');
  });
});

describe('revenueColumns', () => {
  it('shows what takes MRR or revenue away as negative, and 0 without a sign', () => {
    const r = row('2027-03', 'usd', { mrr: { contraction: 200, churn: 0 }, invoiced: { discount: 300 } });
    const value = (key: string) => revenueColumns([r]).find((c) => c.key === key)?.value(r);
    expect(value('mrr.contraction')).toBe(-200);
    expect(Object.is(value('mrr.churn'), 0)).toBe(true);
    expect(value('invoiced.discount')).toBe(-300);
  });

  it('lists the MRR movements, the invoiced parts, credits and refunds; "Other" only when a month has some', () => {
    const plain = [row('2027-01', 'usd')];
    expect(revenueColumns(plain).map((c) => c.label)).toEqual([
      'Starting',
      'New',
      'Expansion',
      'Contraction',
      'Churn',
      'Reactivation',
      'Ending',
      'Subscription',
      'Proration',
      'Usage (overage)',
      'Discount',
      'Tax',
      'Total',
      'Credits',
      'Refunds',
    ]);
    expect(revenueColumns([...plain, row('2027-02', 'usd', { invoiced: { other: 1 } })]).map((c) => c.key)).toContain('invoiced.other');
  });

  it('adds up: each row’s invoiced columns as shown sum to its total', () => {
    const r = row('2027-03', 'usd', { invoiced: { subscription: 29_900, proration: 14_193, usage: 2_000, other: 100, discount: 1_000, tax: 500, total: 45_693 } });
    const sum = revenueColumns([r])
      .filter((c) => c.group === 'invoiced' && c.key !== 'invoiced.total')
      .reduce((s, c) => s + c.value(r), 0);
    expect(sum).toBe(r.invoiced.total);
  });
});
