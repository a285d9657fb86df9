import { beforeAll, describe, expect, it } from 'vitest';
import { BillingEventsRepository } from '../../../../src/adapters/dynamodb/billing-events';
import { encodeCursor } from '../../../../src/adapters/dynamodb/cursor';
import { freshTable } from '../../../support/table';

let repo: BillingEventsRepository;

beforeAll(async () => {
  repo = new BillingEventsRepository(await freshTable());
});

const at = (minute: number) => new Date(Date.UTC(2026, 10, 1, 12, minute));

describe('BillingEventsRepository', () => {
  describe('append', () => {
    it('stores an event with who, what, when and data', async () => {
      await repo.append('org-1', { type: 'subscription.created', actor: { type: 'user', id: 'u-1' }, occurredAt: at(0), data: { plan_id: 'starter' } });
      const page = await repo.list('org-1', { limit: 10 });
      expect(page.items).toEqual([
        expect.objectContaining({ tenant_id: 'org-1', type: 'subscription.created', actor: { type: 'user', id: 'u-1' }, occurred_at: at(0).toISOString(), data: { plan_id: 'starter' } }),
      ]);
    });

    it('writes an event with a given id once, however often it is retried', async () => {
      const event = { id: 'evt_stripe_1', type: 'invoice.paid', actor: { type: 'stripe' } as const, occurredAt: at(5) };
      expect(await repo.append('org-2', event)).toBe(true);
      expect(await repo.append('org-2', event)).toBe(false);
      expect((await repo.list('org-2', { limit: 10 })).items).toHaveLength(1);
    });
  });

  describe('list', () => {
    beforeAll(async () => {
      for (let m = 0; m < 5; m += 1) {
        await repo.append('org-3', { type: m % 2 ? 'payment.failed' : 'invoice.paid', actor: { type: 'system' }, occurredAt: at(m) });
      }
      await repo.append('org-4', { type: 'invoice.paid', actor: { type: 'system' }, occurredAt: at(1) });
    });

    it('pages newest first with an opaque cursor and never repeats an item', async () => {
      const first = await repo.list('org-3', { limit: 2 });
      expect(first.items.map((e) => e.occurred_at)).toEqual([at(4), at(3)].map((d) => d.toISOString()));
      expect(first.nextCursor).toEqual(expect.any(String));
      const second = await repo.list('org-3', { limit: 2, cursor: first.nextCursor ?? undefined });
      const third = await repo.list('org-3', { limit: 2, cursor: second.nextCursor ?? undefined });
      const all = [...first.items, ...second.items, ...third.items].map((e) => e.occurred_at);
      expect(new Set(all).size).toBe(5);
    });

    it('filters by type and time range', async () => {
      const page = await repo.list('org-3', { limit: 10, type: 'payment.failed' });
      expect(page.items.map((e) => e.occurred_at)).toEqual([at(3), at(1)].map((d) => d.toISOString()));
      const ranged = await repo.list('org-3', { limit: 10, from: at(1).toISOString(), to: at(2).toISOString() });
      expect(ranged.items.map((e) => e.occurred_at)).toEqual([at(2), at(1)].map((d) => d.toISOString()));
    });

    it('never returns another tenant\'s events', async () => {
      const page = await repo.list('org-4', { limit: 10 });
      expect(page.items.every((e) => e.tenant_id === 'org-4')).toBe(true);
      expect(page.items).toHaveLength(1);
    });

    it('refuses a cursor from another tenant or a tampered one with 400', async () => {
      const first = await repo.list('org-3', { limit: 1 });
      await expect(repo.list('org-4', { limit: 10, cursor: first.nextCursor ?? undefined })).rejects.toMatchObject({ code: 'invalid_request' });
      await expect(repo.list('org-3', { limit: 10, cursor: 'not-base64-json' })).rejects.toMatchObject({ code: 'invalid_request' });
      const forged = encodeCursor({ PK: 'TENANT#org-3', SK: 42 });
      await expect(repo.list('org-3', { limit: 10, cursor: forged ?? undefined })).rejects.toMatchObject({ code: 'invalid_request' });
    });

    it('finds the events of a type behind many of other types, in full pages, and pages on without repeats', async () => {
      // One alert long ago, then 300 newer events of another type, then two more alerts.
      await repo.append('org-5', { id: 'old-alert', type: 'usage.threshold_reached', actor: { type: 'system' }, occurredAt: at(0) });
      for (let i = 0; i < 300; i += 1) {
        await repo.append('org-5', { id: `noise-${i}`, type: 'entitlements.updated', actor: { type: 'system' }, occurredAt: new Date(at(1).getTime() + i * 1000) });
      }
      for (const id of ['alert-a', 'alert-b']) await repo.append('org-5', { id, type: 'usage.threshold_reached', actor: { type: 'system' }, occurredAt: at(30) });

      const all = await repo.list('org-5', { limit: 10, type: 'usage.threshold_reached' });
      expect(all.items.map((e) => e.id).sort()).toEqual(['alert-a', 'alert-b', 'old-alert']);
      expect(all.nextCursor).toBeNull();

      const first = await repo.list('org-5', { limit: 2, type: 'usage.threshold_reached' });
      expect(first.items).toHaveLength(2);
      const rest = await repo.list('org-5', { limit: 2, type: 'usage.threshold_reached', cursor: first.nextCursor ?? undefined });
      expect([...first.items, ...rest.items].map((e) => e.id).sort()).toEqual(['alert-a', 'alert-b', 'old-alert']);
    });
  });
});
