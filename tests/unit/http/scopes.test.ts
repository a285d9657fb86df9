import { describe, expect, it } from 'vitest';
import { routes } from '../../../contracts/routes';
import { API_SCOPES } from '../../../contracts/scopes';
import { machineMayCall } from '../../../src/http/scopes';

describe('machineMayCall', () => {
  it.each([
    [{ auth: 'tenant', scopes: ['billing/usage.write'] }, ['billing/usage.write'], true],
    [{ auth: 'tenant', scopes: ['billing/usage.write'] }, ['billing/usage.read', 'billing/usage.write'], true],
    [{ auth: 'tenant', scopes: ['billing/usage.write'] }, ['billing/usage.read'], false],
    [{ auth: 'tenant', scopes: ['billing/usage.write'] }, [], false],
    [{ auth: 'tenant' }, [...API_SCOPES], false],
    [{ auth: 'tenant', scopes: [] }, [...API_SCOPES], false],
    [{ auth: 'admin', scopes: ['billing/usage.read'] }, ['billing/usage.read'], false],
    [{ auth: 'public', scopes: ['billing/usage.read'] }, ['billing/usage.read'], false],
  ] as const)('%j with %j -> %s', (route, granted, expected) => {
    expect(machineMayCall(route, granted)).toBe(expected);
  });

  it('is case-sensitive and takes no prefix as a scope', () => {
    const route = { auth: 'tenant', scopes: ['billing/usage.write'] } as const;
    expect(machineMayCall(route, ['Billing/usage.write'])).toBe(false);
    expect(machineMayCall(route, ['billing/usage'])).toBe(false);
    expect(machineMayCall(route, ['billing/usage.write '])).toBe(false);
  });

  it('lets machines onto the declared routes of the table only: usage, invoices, subscription and entitlements reads', () => {
    const open = routes.filter((r) => machineMayCall(r, [...API_SCOPES])).map((r) => `${r.method} ${r.path}`);
    expect(open.sort()).toEqual(
      ['POST /usage/track', 'GET /usage/current', 'GET /usage/history', 'GET /invoices', 'GET /invoices/{id}', 'GET /subscriptions/current', 'GET /entitlements'].sort(),
    );
    for (const route of routes.filter((r) => r.auth === 'admin')) expect(machineMayCall(route, [...API_SCOPES])).toBe(false);
  });
});
