import { describe, expect, it } from 'vitest';
import { addMonths, monthlyPeriodContaining, utcDate } from '../../../src/domain/periods';

const d = (iso: string) => new Date(iso);

describe('addMonths', () => {
  it.each([
    ['2027-01-15T10:00:00.000Z', 1, '2027-02-15T10:00:00.000Z'],
    ['2027-01-31T00:00:00.000Z', 1, '2027-02-28T00:00:00.000Z'],
    ['2027-01-31T00:00:00.000Z', 2, '2027-03-31T00:00:00.000Z'],
    ['2028-01-31T00:00:00.000Z', 1, '2028-02-29T00:00:00.000Z'],
    ['2027-11-30T00:00:00.000Z', 3, '2028-02-29T00:00:00.000Z'],
    ['2027-03-31T00:00:00.000Z', -1, '2027-02-28T00:00:00.000Z'],
  ])('%s + %i months = %s (clamped like Stripe)', (from, months, expected) => {
    expect(addMonths(d(from), months).toISOString()).toBe(expected);
  });
});

describe('monthlyPeriodContaining', () => {
  it('steps from the anchor, not from the previous clamped period', () => {
    const anchor = d('2027-01-31T00:00:00Z');
    expect(monthlyPeriodContaining(anchor, d('2027-03-15T00:00:00Z'))).toEqual({ start: d('2027-02-28T00:00:00Z'), end: d('2027-03-31T00:00:00Z') });
  });
  it('puts the boundary instant in the new period', () => {
    const anchor = d('2027-01-15T12:00:00Z');
    expect(monthlyPeriodContaining(anchor, d('2027-02-15T12:00:00Z')).start).toEqual(d('2027-02-15T12:00:00Z'));
    expect(monthlyPeriodContaining(anchor, d('2027-02-15T11:59:59Z')).start).toEqual(d('2027-01-15T12:00:00Z'));
  });
  it('works before the anchor', () => {
    expect(monthlyPeriodContaining(d('2027-05-10T00:00:00Z'), d('2027-04-20T00:00:00Z')).start).toEqual(d('2027-04-10T00:00:00Z'));
  });
});

describe('utcDate', () => {
  it('is the UTC calendar date', () => {
    expect(utcDate(d('2027-01-01T23:59:59.999Z'))).toBe('2027-01-01');
  });
});
