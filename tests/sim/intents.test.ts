import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { simulate } from '../model/billing-model';
import { COUNTRIES, EU_MEMBER_STATES, type Country } from '../model/tax';
import type { Timeline } from '../model/timeline';
import { formatRegression, renameTenants, timelineLiteral } from './format';
import { alignStart, MAX_SPAN_MS, resolveTimeline, timelineIntentArb } from './intents';

describe('random timelines (no stack: the generator and the model only)', () => {
  it('resolve into valid timelines: times strictly increasing, within the span, every step one the model accepts', () => {
    fc.assert(
      fc.property(timelineIntentArb(), fc.integer({ min: 0, max: 400 }), (intent, dayOffset) => {
        const start = alignStart(new Date(Date.UTC(2027, 0, 1) + dayOffset * 86_400_000), intent);
        const timeline = resolveTimeline(intent, start, 'p');
        const times = timeline.steps.map((s) => Date.parse(s.at));
        times.forEach((t, i) => expect(t).toBeGreaterThan(i === 0 ? start.getTime() - 1 : (times[i - 1] as number)));
        expect((times.at(-1) ?? 0) - start.getTime()).toBeLessThanOrEqual(MAX_SPAN_MS + 2 * 3_600_000);
        const result = simulate(timeline);
        for (const t of result.tenants) {
          // Nothing billed twice, nothing billed in a trial, every overage line positive.
          const keys = t.overage.map((l) => `${l.period_start} ${l.resource}`);
          expect(new Set(keys).size).toBe(keys.length);
          for (const l of t.overage) expect(l.amount).toBeGreaterThan(0);
          for (const p of t.periods) if (p.trial) expect(p.billed).toBe(false);
          // Tax on every line, never against it; an invoice's total is its amount plus its tax.
          for (const l of [...t.overage, ...t.invoices.flatMap((i) => i.lines)]) expect(l.tax * l.amount).toBeGreaterThanOrEqual(0);
          for (const i of t.invoices) expect(i.total).toBe(i.subtotal + i.tax);
        }
      }),
      { numRuns: 300, seed: 12 },
    );
  });

  it('place tenants mostly in the US, else in each taxed country, some with a VAT number of their country', () => {
    const seen = new Map<string, number>();
    let tenants = 0;
    fc.assert(
      fc.property(timelineIntentArb(), (intent) => {
        const timeline = resolveTimeline(intent, alignStart(new Date('2027-05-01T00:00:00Z'), intent), 'c');
        for (const t of timeline.tenants) {
          tenants += 1;
          const country = t.country as Country;
          expect(COUNTRIES).toContain(country);
          const ids = t.tax_ids ?? [];
          if (country === 'US') expect(ids).toEqual([]);
          for (const id of ids) {
            expect(id.type).toBe(EU_MEMBER_STATES.includes(country) ? 'eu_vat' : 'gb_vat');
            expect(id.value.startsWith(country)).toBe(true);
          }
          const key = `${country}${ids.length > 0 ? ' vat' : ''}`;
          seen.set(key, (seen.get(key) ?? 0) + 1);
        }
      }),
      { numRuns: 300, seed: 17 },
    );
    const us = seen.get('US') ?? 0;
    expect(us / tenants).toBeGreaterThan(0.3);
    expect(us / tenants).toBeLessThan(0.7);
    for (const c of COUNTRIES.filter((c) => c !== 'US')) {
      expect(seen.get(c) ?? 0).toBeGreaterThan(0);
      expect(seen.get(`${c} vat`) ?? 0).toBeGreaterThan(0);
    }
  });

  it('keep every gauge reading at its own instant per tenant and resource', () => {
    fc.assert(
      fc.property(timelineIntentArb(), (intent) => {
        const timeline = resolveTimeline(intent, alignStart(new Date('2027-05-01T00:00:00Z'), intent), 'g');
        const seen = new Set<string>();
        for (const s of timeline.steps) {
          if (s.do !== 'usage') continue;
          for (const r of s.records) {
            if (r.resource_type === 'api_calls' || r.resource_type === 'alerts') continue;
            const at = Math.min(r.timestamp ? Date.parse(r.timestamp) : Date.parse(s.at), Date.parse(s.at));
            const key = `${s.tenant} ${r.resource_type} ${at}`;
            expect(seen.has(key)).toBe(false);
            seen.add(key);
          }
        }
      }),
      { numRuns: 200, seed: 7 },
    );
  });

  it('aligns the start on the wanted day of month, clamped to short months', () => {
    expect(alignStart(new Date('2027-02-10T00:00:00Z'), { day: 31, secondOfDay: 3_600 }).toISOString()).toBe('2027-02-28T01:00:00.000Z');
    expect(alignStart(new Date('2027-02-28T02:00:00Z'), { day: 31, secondOfDay: 3_600 }).toISOString()).toBe('2027-03-31T01:00:00.000Z');
    expect(alignStart(new Date('2027-03-01T00:00:00.500Z'), { day: 1, secondOfDay: 0 }).toISOString()).toBe('2027-04-01T00:00:00.000Z');
  });

  it('prints a failing timeline as a regression test whose literal is the timeline', () => {
    const timeline: Timeline = {
      start: '2027-03-01T00:00:00.000Z',
      tenants: [{ id: 'sim9r3-1', currency: 'gbp' }],
      steps: [
        { at: '2027-03-01T00:01:00.000Z', tenant: 'sim9r3-1', do: 'create', plan_id: 'starter', billing_cycle: 'monthly', trial_days: 0, payment_method: 'pm_card_visa' },
        { at: '2027-04-01T02:00:00.000Z', do: 'advance' },
      ],
    };
    const text = formatRegression(timeline, [{ tenant: 'sim9r3-1', kind: 'overage-missing', message: 'sim9r3-1 owes 100' }], { seed: 5 });
    expect(text).toContain("import { replayTimeline } from './replay';");
    expect(text).toContain('//   [overage-missing] t1: t1 owes 100');
    expect(text).not.toContain('sim9r3-1');
    const literal = timelineLiteral(renameTenants(timeline));
    // The literal is a JavaScript object expression of the renamed timeline.
    expect(new Function(`return (${literal});`)()).toEqual(renameTenants(timeline));
  });
});
