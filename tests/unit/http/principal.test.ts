import { describe, expect, it } from 'vitest';
import { claimList, principalFromClaims } from '../../../functions/shared/http/principal';

const cfg = { TENANT_CLAIM: 'custom:tenant_id', GROUPS_CLAIM: 'cognito:groups', ADMIN_GROUP: 'billing-admin' };

describe('claimList', () => {
  it.each([
    ['[billing-admin other]', ['billing-admin', 'other']],
    ['billing-admin', ['billing-admin']],
    ['[]', []],
    [['a', 'b'], ['a', 'b']],
    [undefined, []],
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
  it('returns null without a subject', () => {
    expect(principalFromClaims({ 'custom:tenant_id': 'org-1' }, cfg)).toBeNull();
    expect(principalFromClaims(undefined, cfg)).toBeNull();
  });
  it('has no tenant when the claim is empty', () => {
    expect(principalFromClaims({ sub: 'u1', 'custom:tenant_id': '' }, cfg)?.tenantId).toBeNull();
  });
});
