import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RevenueReport, RevenueReportMonth } from '../../web/src/api/types';
import { formatMoney } from '../../web/src/format';
import { startTestApi, type TestApi } from '../support/local-api';
import { ARTIFACTS, eventually, launchBrowser, type Browser } from './browser';

/**
 * The Admin tab's revenue report (issue 19) in Chromium against the local stack: tenants that
 * subscribe, upgrade, leave and downgrade over a few months in USD and EUR; the chart of MRR
 * movements and the table under it show what `GET /admin/reports/revenue` answers, in the
 * currency chosen and for the range typed; a currency without data says so; the page fits a
 * 390 px phone, the table scrolling sideways within its card.
 */

const START = new Date('2027-01-01T00:30:00Z');

let api: TestApi;
let browser: Browser;
let page: Page;
let admin = '';

const screenshot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `admin-revenue-${name}.png`), fullPage: true });
const card = () => page.getByTestId('admin-revenue');
const table = () => card().getByTestId('revenue-table');
const chart = () => card().getByTestId('revenue-chart');

const report = async (query: string): Promise<RevenueReport> => {
  const res = await api.call(`/admin/reports/revenue${query ? `?${query}` : ''}`, { token: admin });
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return JSON.parse(text) as RevenueReport;
};

const rowsIn = (r: RevenueReport, currency: string) => r.months.filter((m) => m.currency === currency).sort((a, b) => a.month.localeCompare(b.month));

/** A row of the table as the API's figures say it should read: what takes away (contraction, churn, discount) negative. */
const expectedCells = (m: RevenueReportMonth): Record<string, string> => {
  const money = (minor: number) => formatMoney(minor, m.currency);
  const minus = (minor: number) => money(minor === 0 ? 0 : -minor);
  return {
    'mrr.starting': money(m.mrr.starting),
    'mrr.new': money(m.mrr.new),
    'mrr.expansion': money(m.mrr.expansion),
    'mrr.contraction': minus(m.mrr.contraction),
    'mrr.churn': minus(m.mrr.churn),
    'mrr.reactivation': money(m.mrr.reactivation),
    'mrr.ending': money(m.mrr.ending),
    'invoiced.subscription': money(m.invoiced.subscription),
    'invoiced.proration': money(m.invoiced.proration),
    'invoiced.usage': money(m.invoiced.usage),
    'invoiced.discount': minus(m.invoiced.discount),
    'invoiced.tax': money(m.invoiced.tax),
    'invoiced.total': money(m.invoiced.total),
    credits: money(m.credits),
    refunds: money(m.refunds),
  };
};

/** The table's body: month by month, its cells by column. */
const shownRows = (t: Locator) =>
  t.locator('tbody tr').evaluateAll((rows) =>
    rows.map((r) => ({
      month: r.getAttribute('data-month'),
      cells: Object.fromEntries([...r.querySelectorAll('td[data-col]')].map((td) => [td.getAttribute('data-col'), td.textContent])),
    })),
  );

/** The table shows exactly the API's rows of `currency`, every figure formatted in it. */
const tableMatches = async (answer: RevenueReport, currency: string) => {
  const rows = rowsIn(answer, currency);
  expect(rows.length).toBeGreaterThan(0);
  await eventually(() => card().locator('.revenue').getAttribute('data-currency')).toBe(currency);
  await eventually(async () => (await shownRows(table())).map((r) => r.month)).toEqual(rows.map((r) => r.month));
  expect(await shownRows(table())).toEqual(rows.map((m) => ({ month: m.month, cells: expectedCells(m) })));
};

/** One bar segment's tooltip, or null when the month has no such movement. */
const barTitle = async (month: string, kind: string) => {
  const rect = chart().locator(`g[data-month="${month}"] rect[data-kind="${kind}"]`);
  return (await rect.count()) === 0 ? null : rect.locator('title').textContent();
};

/** The page fits a 390 px wide phone without scrolling sideways; the table scrolls within its card. */
const fitsPhone = async (name: string) => {
  await page.setViewportSize({ width: 390, height: 844 });
  try {
    const [scrollWidth, innerWidth] = (await page.evaluate('[document.documentElement.scrollWidth, window.innerWidth]')) as [number, number];
    expect(scrollWidth, `${name} is ${scrollWidth}px wide`).toBeLessThanOrEqual(innerWidth);
    const scroller = card().locator('.revenue-table');
    const [inner, outer] = await scroller.evaluate((el) => [el.scrollWidth, el.clientWidth]);
    expect(inner, 'the table is wider than the phone and scrolls').toBeGreaterThan(outer);
    await card().scrollIntoViewIfNeeded();
    await screenshot(`mobile-${name}`);
    await card().screenshot({ path: join(ARTIFACTS, `admin-revenue-mobile-${name}-card.png`) });
  } finally {
    await page.setViewportSize({ width: 1280, height: 900 });
  }
};

beforeAll(async () => {
  api = await startTestApi({ start: START });
  // January 1: A on starter ($99), B on professional ($299), C on professional in EUR (€299).
  const a = await api.subscribe('rev-web-a', { name: 'Alpha Ltd', plan_id: 'starter' });
  const b = await api.subscribe('rev-web-b', { name: 'Bravo Inc', plan_id: 'professional' });
  const c = await api.subscribe('rev-web-c', { name: 'Charlie GmbH', plan_id: 'professional', currency: 'eur' });
  const post = async (token: string, path: string, json: unknown) => {
    const res = await api.call(path, { method: 'POST', token, json });
    expect(res.status, await res.text()).toBe(200);
  };
  // February 10: A upgrades to professional at once (+$200 MRR).
  await api.advanceTo('2027-02-10T00:30:00Z');
  await post(a.token, '/subscriptions/update', { plan_id: 'professional' });
  // March 10: B leaves (-$299); C asks to go down to starter at its period end (April 1).
  await api.advanceTo('2027-03-10T00:30:00Z');
  await post(b.token, '/subscriptions/cancel', { immediately: true });
  await post(c.token, '/subscriptions/update', { plan_id: 'starter' });
  await api.advanceTo('2027-05-15T00:30:00Z');
  admin = await api.token({ admin: true, userId: 'ops-rev' });
  browser = await launchBrowser();
  page = browser.page;
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await api?.stack.stop();
});

describe('the Admin tab’s revenue report', () => {
  it('opens on the last 12 months in the first currency with data, the table showing what the API answers', async () => {
    const answer = await report('');
    expect([answer.from, answer.to]).toEqual(['2026-06', '2027-05']);
    await page.goto(`${api.stack.apiUrl}/#token=${admin}`);
    await eventually(() => page.getByRole('tab').allTextContents()).toEqual(['Admin']);
    await eventually(() => card().getByLabel('From month').inputValue()).toBe('2026-06');
    expect(await card().getByLabel('To month').inputValue()).toBe('2027-05');
    expect(await card().getByLabel('Currency').inputValue()).toBe('usd');
    expect(await card().getByLabel('Currency').locator('option').allTextContents()).toEqual(['USD', 'EUR', 'GBP (no data)']);
    await tableMatches(answer, 'usd');

    // The scripted movements, as the API computed them.
    const usd = rowsIn(answer, 'usd');
    const mrr = (month: string) => usd.find((r) => r.month === month)?.mrr;
    expect(mrr('2027-01')).toMatchObject({ starting: 0, new: 39_800, ending: 39_800 });
    expect(mrr('2027-02')).toMatchObject({ expansion: 20_000, ending: 59_800 });
    expect(mrr('2027-03')).toMatchObject({ churn: 29_900, ending: 29_900 });
    expect(await table().locator('tr[data-month="2027-03"] td[data-col="mrr.churn"]').textContent()).toBe('-$299.00');
    await screenshot('usd');
  });

  it('draws a bar per month (movements above and below the axis) and the ending MRR line, with words for screen readers', async () => {
    const usd = rowsIn(await report(''), 'usd');
    expect(await chart().locator('g.revenue-month').count()).toBe(usd.length);
    expect(await chart().locator('circle.revenue-point').count()).toBe(usd.length);
    expect(await barTitle('2027-01', 'new')).toBe('Jan 2027, new: +$398.00');
    expect(await barTitle('2027-02', 'expansion')).toBe('Feb 2027, expansion: +$200.00');
    expect(await barTitle('2027-03', 'churn')).toBe('Mar 2027, churn: -$299.00');
    expect(await barTitle('2027-04', 'new')).toBeNull();
    // Above the axis for what was added, below it for what was lost.
    const zero = await chart().locator('.chart-zero line').getAttribute('y1');
    const box = async (month: string, kind: string) => {
      const rect = chart().locator(`g[data-month="${month}"] rect[data-kind="${kind}"]`);
      return { y: Number(await rect.getAttribute('y')), height: Number(await rect.getAttribute('height')) };
    };
    const added = await box('2027-02', 'expansion');
    const lost = await box('2027-03', 'churn');
    expect(added.y + added.height).toBeCloseTo(Number(zero), 3);
    expect(lost.y).toBeCloseTo(Number(zero), 3);
    // Expansion of $200 is two thirds of a churn of $299 high, on the one scale.
    expect(added.height / lost.height).toBeCloseTo(20_000 / 29_900, 3);
    expect(await chart().locator('g[data-month="2027-03"] > title').textContent()).toBe('Mar 2027: churn -$299.00; ending MRR $299.00');
    expect(await chart().locator('circle[data-month="2027-05"] title').textContent()).toBe('May 2027, ending MRR: $299.00');

    const svg = chart().locator('svg[role="img"]');
    expect(await svg.getAttribute('aria-label')).toBe(
      'MRR movements in USD per month, Jun 2026 to May 2027: MRR $0.00 at the start, $299.00 at the end; ' +
        'new +$398.00, expansion +$200.00, reactivation $0.00, contraction $0.00, churn -$299.00.',
    );
    expect(await chart().locator('.chart-legend li').allTextContents()).toEqual(['New', 'Expansion', 'Reactivation', 'Contraction', 'Churn', 'Ending MRR']);
    await chart().screenshot({ path: join(ARTIFACTS, 'admin-revenue-chart-usd.png') });
  });

  it('shows another currency when chosen, and says so when a currency has nothing', async () => {
    await card().getByLabel('Currency').selectOption('eur');
    const eur = await report('currency=eur');
    expect(eur.currency).toBe('eur');
    await tableMatches(eur, 'eur');
    // C's downgrade at its period end: -€200 of contraction in April.
    expect(rowsIn(eur, 'eur').find((r) => r.month === '2027-04')?.mrr).toMatchObject({ contraction: 20_000, ending: 9_900 });
    expect(await table().locator('tr[data-month="2027-04"] td[data-col="mrr.contraction"]').textContent()).toBe(formatMoney(-20_000, 'eur'));
    expect(await barTitle('2027-04', 'contraction')).toBe(`Apr 2027, contraction: ${formatMoney(-20_000, 'eur')}`);
    expect(await chart().locator('svg').getAttribute('aria-label')).toMatch(/^MRR movements in EUR per month, Jun 2026 to May 2027: /);
    await screenshot('eur');

    await card().getByLabel('Currency').selectOption('gbp');
    await eventually(() => card().getByTestId('revenue-empty').textContent()).toBe(
      'No revenue in GBP from Jun 2026 to May 2027: no MRR, no invoice, no credit or refund.',
    );
    expect(await chart().count()).toBe(0);
    expect(await table().count()).toBe(0);
    await screenshot('empty');
    await card().getByLabel('Currency').selectOption('usd');
    await eventually(() => card().locator('.revenue').getAttribute('data-currency')).toBe('usd');
  });

  it('reports the range typed, refusing one that ends before it starts beside "To"', async () => {
    await card().getByLabel('From month').fill('2027-04');
    await card().getByLabel('To month').fill('2027-02');
    await card().getByRole('button', { name: 'Show', exact: true }).click();
    await eventually(() => page.locator('#revenue-to-error').textContent()).toBe('Choose a month from the first one on.');
    expect(await card().getByLabel('To month').getAttribute('aria-invalid')).toBe('true');

    await card().getByLabel('From month').fill('2027-01');
    await card().getByLabel('To month').fill('2027-05');
    await card().getByRole('button', { name: 'Show', exact: true }).click();
    const answer = await report('from=2027-01&to=2027-05');
    await eventually(() => card().locator('.revenue').getAttribute('data-from')).toBe('2027-01');
    expect(await page.locator('#revenue-to-error').count()).toBe(0);
    await tableMatches(answer, 'usd');
    expect(await chart().locator('g.revenue-month').count()).toBe(5);
    // Invoiced revenue: January's two first invoices; February holds A's upgrade proration.
    const usd = rowsIn(answer, 'usd');
    expect(usd.find((r) => r.month === '2027-01')?.invoiced).toMatchObject({ invoices: 2, subscription: 39_800, total: 39_800 });
    expect(usd.find((r) => r.month === '2027-02')?.invoiced.proration).toBeGreaterThan(0);
    await screenshot('range');
    await card().screenshot({ path: join(ARTIFACTS, 'admin-revenue-card.png') });

    await card().getByLabel('Currency').selectOption('eur');
    await tableMatches(answer, 'eur');
    await fitsPhone('eur');
  });

  it('logged no page error, no console error (CSP included) and no HTTP error along the way', () => {
    expect(browser.problems).toEqual([]);
  });
});
