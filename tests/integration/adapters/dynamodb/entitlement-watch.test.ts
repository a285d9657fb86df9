import { beforeAll, describe, expect, it } from 'vitest';
import type { TableRef } from '../../../../src/adapters/dynamodb/client';
import { EntitlementRepository } from '../../../../src/adapters/dynamodb/entitlements';
import { freshTable } from '../../../support/table';

let table: TableRef;

beforeAll(async () => {
  table = await freshTable();
});

describe('EntitlementRepository watches (when access changes with time alone)', () => {
  it('answers the earliest watch, due tenants up to now, and nothing once every watch is cleared', async () => {
    const store = new EntitlementRepository(table);
    expect(await store.earliestWatch()).toBeNull();
    await store.setWatch('org-later', '2027-05-20T00:00:00.000Z');
    await store.setWatch('org-sooner', '2027-05-15T00:00:00.000Z');

    expect(await store.earliestWatch()).toEqual(new Date('2027-05-15T00:00:00.000Z'));
    expect(await store.due(new Date('2027-05-16T00:00:00.000Z'), 10)).toEqual(['org-sooner']);

    await store.setWatch('org-sooner', null);
    expect(await store.earliestWatch()).toEqual(new Date('2027-05-20T00:00:00.000Z'));
    await store.setWatch('org-later', null);
    expect(await store.earliestWatch()).toBeNull();
  });
});
