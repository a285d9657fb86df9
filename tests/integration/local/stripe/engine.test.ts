import { describe, expect, it } from 'vitest';
import { boundary, periodEndAfter } from '../../../../local/stripe/billing/periods';
import { prorate } from '../../../../local/stripe/billing/proration';
import { parseForm } from '../../../../local/stripe/http/form';

const unix = (iso: string): number => Date.parse(iso) / 1000;
const iso = (s: number): string => new Date(s * 1000).toISOString();

describe('local Stripe billing arithmetic', () => {
  describe('periods', () => {
    it('steps months from the anchor, clamping to the month end and coming back to the 31st', () => {
      const anchor = unix('2026-01-31T10:00:00Z');
      const monthly = { interval: 'month', count: 1 } as const;
      expect([1, 2, 3, 4].map((k) => iso(boundary(anchor, monthly, k)))).toEqual([
        '2026-02-28T10:00:00.000Z',
        '2026-03-31T10:00:00.000Z',
        '2026-04-30T10:00:00.000Z',
        '2026-05-31T10:00:00.000Z',
      ]);
    });

    it('clamps a Feb 29 anchor to Feb 28 in later years', () => {
      const anchor = unix('2028-02-29T00:00:00Z');
      expect(iso(boundary(anchor, { interval: 'year', count: 1 }, 1))).toBe('2029-02-28T00:00:00.000Z');
      expect(iso(boundary(anchor, { interval: 'year', count: 1 }, 4))).toBe('2032-02-29T00:00:00.000Z');
    });

    it('ends a period at the first boundary after its start, or at an anchor still ahead (a trial end)', () => {
      const anchor = unix('2026-01-15T00:00:00Z');
      const monthly = { interval: 'month', count: 1 } as const;
      expect(iso(periodEndAfter(anchor, monthly, unix('2026-03-15T00:00:00Z')))).toBe('2026-04-15T00:00:00.000Z');
      expect(iso(periodEndAfter(anchor, monthly, unix('2026-01-01T00:00:00Z')))).toBe('2026-01-15T00:00:00.000Z');
      expect(iso(periodEndAfter(anchor, { interval: 'day', count: 1 }, unix('2027-06-01T12:00:00Z')))).toBe('2027-06-02T00:00:00.000Z');
    });
  });

  describe('proration', () => {
    it('prorates to the second and rounds each side on its own', () => {
      const start = 0;
      const end = 2_678_400;
      expect(prorate(9_900, end / 2, start, end)).toBe(4_950);
      expect(prorate(29_900, end / 2, start, end)).toBe(14_950);
      expect(prorate(1_000, end / 3, start, end)).toBe(667);
      expect(prorate(1_000, end, start, end)).toBe(0);
      expect(prorate(1_000, start - 10, start, end)).toBe(1_000);
    });
  });

  describe('form parsing', () => {
    it('reads bracket syntax into nested params', () => {
      expect(parseForm('items[0][price]=p1&items[1][price]=p2&metadata[tenant_id]=org-1&expand[]=latest_invoice&expand[]=customer&email=a%40b.c&name=A+B')).toEqual({
        items: [{ price: 'p1' }, { price: 'p2' }],
        metadata: { tenant_id: 'org-1' },
        expand: ['latest_invoice', 'customer'],
        email: 'a@b.c',
        name: 'A B',
      });
    });

    it('keeps indexed arrays in index order and an empty value as an empty string', () => {
      expect(parseForm('lookup_keys[1]=b&lookup_keys[0]=a&metadata=')).toEqual({ lookup_keys: ['a', 'b'], metadata: '' });
    });

    it('refuses a name that is both a value and a hash', () => {
      expect(() => parseForm('a=1&a[b]=2')).toThrow(/mixes a value and nested values/);
    });
  });
});
