import { describe, expect, it } from 'vitest';
import { claimList, principalFromClaims } from '../../../src/http/principal';

const cfg = { TENANT_CLAIM: 'custom:tenant_id', GROUPS_CLAIM: 'cognito:groups', ADMIN_GROUP: 'billing-admin' };

describe('claimList', () => {
  it.each([
    ['[billing-admin other]', ['billing-admin', 'other']],
    ['billing-admin', ['billing-admin']],
    ['[]', []],
    [['a', 'b'], ['a', 'b']],
    [undefined, []],
    // Names are exact: no splitting on commas, no splitting a plain string, no trimming.
    ['[billing-admin,readonly]', ['billing-admin,readonly']],
    ['billing-admin,readonly', ['billing-admin,readonly']],
    ['Not billing-admin', ['Not billing-admin']],
    [' billing-admin', [' billing-admin']],
    [['Not billing-admin', 'billing-admin,readonly'], ['Not billing-admin', 'billing-admin,readonly']],
  ] as const)('reads %j as %j', (value, expected) => {
    expect(claimList(value as string | string[] | undefined)).toEqual(expected);
  });
});

describe('principalFromClaims', () => {
  it('takes the tenant from the configured claim and admin from the group list', () => {
    expect(principalFromClaims({ sub: 'u1', 'custom:tenant_id': 'org-1', 'cognito:groups': '[billing-admin]' }, cfg)).toEqual({
      userId: 'u1',
      tenantId: 'org-1',
      admin: true,
    });
  });
  it('is not admin when the group is only a prefix of another', () => {
    expect(principalFromClaims({ sub: 'u1', 'cognito:groups': '[billing-admins]' }, cfg)?.admin).toBe(false);
  });
  it.each([
    ['an array with a name that contains the group after a space', ['Not billing-admin']],
    ['an array with a name that lists it after a comma', ['billing-admin,readonly']],
    ['a plain string with the group after a space', 'Not billing-admin'],
    ['a plain string with the group before a comma', 'billing-admin,readonly'],
    ['the gateway text of a name with a comma', '[billing-admin,readonly]'],
    ['the group in another case', '[Billing-Admin]'],
    ['the group with a space before it in a plain string', ' billing-admin'],
  ])('is not admin for %s', (_, groups) => {
    expect(principalFromClaims({ sub: 'u1', 'cognito:groups': groups }, cfg)?.admin).toBe(false);
  });
  it.each([
    ['an array', ['readonly', 'billing-admin']],
    ['the gateway text of an array', '[readonly billing-admin]'],
    ['a plain string naming exactly the group', 'billing-admin'],
  ])('is admin for the exact group name in %s', (_, groups) => {
    expect(principalFromClaims({ sub: 'u1', 'cognito:groups': groups }, cfg)?.admin).toBe(true);
  });
  it('returns null without a subject', () => {
    expect(principalFromClaims({ 'custom:tenant_id': 'org-1' }, cfg)).toBeNull();
    expect(principalFromClaims(undefined, cfg)).toBeNull();
  });
  it('has no tenant when the claim is empty', () => {
    expect(principalFromClaims({ sub: 'u1', 'custom:tenant_id': '' }, cfg)?.tenantId).toBeNull();
  });
});
