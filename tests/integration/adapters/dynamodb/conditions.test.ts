import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryAttempt } from '../../../../src/app/ports/webhooks';
import type { TableRef } from '../../../../src/adapters/dynamodb/client';
import { ConditionFailed, conditionalWrite, ifAbsent, putIfAbsent } from '../../../../src/adapters/dynamodb/conditions';
import { profileKey, usageAlertKey } from '../../../../src/adapters/dynamodb/keys';
import { TenantRepository } from '../../../../src/adapters/dynamodb/tenants';
import { UsageRepository } from '../../../../src/adapters/dynamodb/usage';
import { WebhookRepository } from '../../../../src/adapters/dynamodb/webhooks';
import { freshTable } from '../../../support/table';

let table: TableRef;
let reads = 0;

beforeAll(async () => {
  table = await freshTable();
  table.base.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'GetItemCommand' || context.commandName === 'QueryCommand') reads += 1;
      return next(args);
    },
    { step: 'initialize', name: 'countReads' },
  );
});

const failureOf = async (write: Promise<unknown>): Promise<ConditionFailed> => {
  const error = await write.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ConditionFailed)) throw new Error(`expected ConditionFailed, got ${String(error)}`);
  return error;
};

const PERIOD = '2027-05-01T00:00:00.000Z';

describe('conditionalWrite (DynamoDB Local)', () => {
  it('returns the existing item, with its numbers and lists, when a create finds one', async () => {
    // Prepare
    const first = { PK: 'TEST#cw-1', SK: 'MARKER', owner: 'first', count: 12, tags: ['a', 'b'], nested: { ok: true } };
    await conditionalWrite(table, { Put: { Item: first, ...ifAbsent() } });

    // Act
    const failure = await failureOf(conditionalWrite(table, { Put: { Item: { PK: 'TEST#cw-1', SK: 'MARKER', owner: 'second' }, ...ifAbsent() } }));

    // Assess
    expect(failure.item).toEqual(first);
    expect(failure.cause).toMatchObject({ name: 'ConditionalCheckFailedException' });
    const { Item } = await table.client.send(new GetCommand({ TableName: table.tableName, Key: { PK: 'TEST#cw-1', SK: 'MARKER' }, ConsistentRead: true }));
    expect(Item?.owner).toBe('first');
  });

  it('returns the item as it was when an update\'s condition fails, and the new values when it holds', async () => {
    const key = { PK: 'TEST#cw-2', SK: 'MARKER' };
    const add = (max: number) =>
      conditionalWrite(table, {
        Update: {
          Key: key,
          UpdateExpression: 'ADD #n :one',
          ConditionExpression: 'attribute_not_exists(#n) OR #n < :max',
          ExpressionAttributeNames: { '#n': 'n' },
          ExpressionAttributeValues: { ':one': 1, ':max': max },
          ReturnValues: 'UPDATED_NEW',
        },
      });

    expect(await add(2)).toEqual({ n: 1 });
    expect(await add(2)).toEqual({ n: 2 });
    expect((await failureOf(add(2))).item).toEqual({ ...key, n: 2 });
  });

  it('carries no item when the condition failed on an item that is not there', async () => {
    const failure = await failureOf(
      conditionalWrite(table, {
        Update: {
          Key: { PK: 'TEST#cw-missing', SK: 'MARKER' },
          UpdateExpression: 'SET #a = :a',
          ConditionExpression: 'attribute_exists(#a)',
          ExpressionAttributeNames: { '#a': 'a' },
          ExpressionAttributeValues: { ':a': 1 },
        },
      }),
    );
    expect(failure.item).toBeUndefined();
  });

  it('puts once with putIfAbsent, answering false for the retry', async () => {
    expect(await putIfAbsent(table, { PK: 'TEST#cw-3', SK: 'MARKER' })).toBe(true);
    expect(await putIfAbsent(table, { PK: 'TEST#cw-3', SK: 'MARKER' })).toBe(false);
  });
});

describe('repositories that keep the first writer\'s item', () => {
  it('ensurePeriod answers the stored period, not the one it was asked to create, without reading it again', async () => {
    const usage = new UsageRepository(table);
    const stored = await usage.ensurePeriod({ tenant_id: 'org-cw', start: PERIOD, end: '2027-06-01T00:00:00.000Z', trial: false, plan_id: 'starter', currency: 'usd' });

    const before = reads;
    const again = await usage.ensurePeriod({ tenant_id: 'org-cw', start: PERIOD, end: '2027-07-01T00:00:00.000Z', trial: true, plan_id: 'pro', currency: 'eur' });

    expect(reads).toBe(before);
    expect(again).toMatchObject({ ...stored });
    expect(again).toMatchObject({ end: '2027-06-01T00:00:00.000Z', plan_id: 'starter', status: 'open' });
  });

  it('markAlert answers the first firing time to a later one', async () => {
    const usage = new UsageRepository(table);
    const first = new Date('2027-05-03T10:00:00.000Z');
    expect(await usage.markAlert('org-cw', PERIOD, 'api_calls', 80, first)).toBe(first.toISOString());
    expect(await usage.markAlert('org-cw', PERIOD, 'api_calls', 80, new Date('2027-05-04T10:00:00.000Z'))).toBe(first.toISOString());
    const { Item } = await table.client.send(new GetCommand({ TableName: table.tableName, Key: usageAlertKey('org-cw', PERIOD, 'api_calls', 80) }));
    expect(Item).toMatchObject({ fired_at: first.toISOString(), notified: false });
  });

  it('setCustomer keeps the first customer and answers it to a second writer', async () => {
    const tenants = new TenantRepository(table);
    expect(await tenants.setCustomer('org-cw', 'cus_first')).toBe('cus_first');
    expect(await tenants.setCustomer('org-cw', 'cus_second')).toBe('cus_first');
    expect(await tenants.setCustomer('org-cw', 'cus_first')).toBe('cus_first');
    expect(await tenants.findByCustomer('cus_first')).toBe('org-cw');
    const { Item } = await table.client.send(new GetCommand({ TableName: table.tableName, Key: profileKey('org-cw') }));
    expect(Item?.stripe_customer_id).toBe('cus_first');
  });

  it('claim answers busy while the lease runs and delivered once delivered, from the item as it was', async () => {
    const webhooks = new WebhookRepository(table, { endpointLimit: 10 });
    const now = Date.UTC(2027, 4, 1, 12);
    expect(await webhooks.claim('org-cw', 'we_1', 'evt_1', now, 30_000)).toEqual({ kind: 'claimed', attempt: 1 });
    expect(await webhooks.claim('org-cw', 'we_1', 'evt_1', now + 10_000, 30_000)).toEqual({ kind: 'busy', retryInSeconds: 20 });

    const attempt: DeliveryAttempt = {
      tenant_id: 'org-cw',
      endpoint_id: 'we_1',
      event_id: 'evt_1',
      event_type: 'invoice.paid',
      attempt: 1,
      status: 'succeeded',
      status_code: 200,
      latency_ms: 40,
      error: null,
      attempted_at: new Date(now + 1_000).toISOString(),
      next_attempt_at: null,
    };
    await webhooks.recordAttempt(attempt, now + 1_000);
    expect(await webhooks.claim('org-cw', 'we_1', 'evt_1', now + 60_000, 30_000)).toEqual({ kind: 'delivered' });
  });
});
