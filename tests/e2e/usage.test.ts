import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BillingEventsRepository } from '../../src/adapters/dynamodb/billing-events';
import { createTableRef } from '../../src/adapters/dynamodb/client';
import { periodKey } from '../../src/adapters/dynamodb/keys';
import { startTestApi, type TestApi } from '../support/local-api';

let api: TestApi;
let crashAfterNextBatch = false;

beforeAll(async () => {
  api = await startTestApi({
    start: new Date('2027-08-01T00:00:00Z'),
    // Short timeouts so redeliveries and the DLQ happen within the test.
    queueOverrides: { visibilityTimeoutSeconds: 2, maxReceiveCount: 2 },
    // Two consumers, as Lambda's scaled-out pollers (the race they run on alerts, made deterministic, is usage-race.test.ts).
    usageConsumers: 2,
    wrapUsageConsumer: (handler) => async (event, context) => {
      const result = await handler(event, context);
      if (crashAfterNextBatch) {
        crashAfterNextBatch = false;
        throw new Error('injected crash after the writes, before SQS deletes the messages');
      }
      return result;
    },
  });
});
afterAll(async () => api.stack.stop());

interface UsageBody {
  period: { start: string; end: string };
  trial: boolean;
  currency: string;
  usage: Record<string, { quantity: number; included: number | null; overage: number; overage_amount: number; percent_used: number | null }>;
}

const tableRef = () => createTableRef({ TABLE_NAME: api.stack.tableName, AWS_REGION: 'us-east-1', DYNAMODB_ENDPOINT: api.stack.dynamoEndpoint });

const track = async (token: string, body: unknown, headers: Record<string, string> = {}) => {
  const res = await api.call('/usage/track', { method: 'POST', token, json: body, headers });
  return res;
};

const current = async (token: string): Promise<UsageBody> => {
  await api.stack.settle();
  const res = await api.call('/usage/current', { token });
  expect(res.status).toBe(200);
  return (await res.json()) as UsageBody;
};

describe('usage metering, end to end (HTTP -> local SQS -> aggregator -> DynamoDB Local)', () => {
  it('shows a batch of mixed records in /usage/current: counters summed, gauges at their peak', async () => {
    const token = (await api.subscribe('org-mixed')).token;
    const res = await track(token, {
      records: [
        { resource_type: 'api_calls', usage_amount: 1_200 },
        { resource_type: 'api_calls', usage_amount: 300 },
        { resource_type: 'alerts', usage_amount: 7 },
        { resource_type: 'devices', usage_amount: 30 },
        { resource_type: 'devices', usage_amount: 12 },
        { resource_type: 'storage_gb', usage_amount: 5.2 },
        { resource_type: 'users', usage_amount: 4 },
      ],
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 7 });
    const { usage, currency, trial } = await current(token);
    expect(currency).toBe('usd');
    expect(trial).toBe(false);
    expect(usage.api_calls).toMatchObject({ quantity: 1_500, included: 10_000, overage: 0, percent_used: 15 });
    expect(usage.alerts?.quantity).toBe(7);
    expect(usage.devices).toMatchObject({ quantity: 30, included: 25, overage: 5, overage_amount: 2_500 });
    expect(usage.storage_gb).toMatchObject({ quantity: 5.2, included: 5, overage: 1, overage_amount: 100 });
    expect(usage.users?.quantity).toBe(4);
  });

  it('counts a request sent twice with the same Idempotency-Key once', async () => {
    const token = (await api.subscribe('org-retry')).token;
    const body = { records: [{ resource_type: 'api_calls', usage_amount: 100 }] };
    expect((await track(token, body, { 'idempotency-key': 'batch-1' })).status).toBe(202);
    expect((await track(token, body, { 'idempotency-key': 'batch-1' })).status).toBe(202);
    expect((await current(token)).usage.api_calls?.quantity).toBe(100);
  });

  it('counts records that carry the same idempotency_key once, across requests', async () => {
    const token = (await api.subscribe('org-record-keys')).token;
    await track(token, { records: [{ resource_type: 'alerts', usage_amount: 2, idempotency_key: 'alert-a' }, { resource_type: 'alerts', usage_amount: 3, idempotency_key: 'alert-b' }] });
    await api.stack.settle();
    await track(token, { resource_type: 'alerts', usage_amount: 2, idempotency_key: 'alert-a' });
    expect((await current(token)).usage.alerts?.quantity).toBe(5);
  });

  it('counts a message SQS delivers twice once', async () => {
    const token = (await api.subscribe('org-redelivered')).token;
    const body = JSON.stringify({
      v: 1,
      tenant_id: 'org-redelivered',
      dedup_id: 'msg-redelivered-1',
      received_at: api.stack.clock.now().toISOString(),
      records: [{ r: 'api_calls', q: 42, t: api.stack.clock.now().toISOString() }],
    });
    const sqs = new SQSClient({ endpoint: api.stack.sqsEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    await sqs.send(new SendMessageCommand({ QueueUrl: api.stack.usageQueueUrl, MessageBody: body }));
    await sqs.send(new SendMessageCommand({ QueueUrl: api.stack.usageQueueUrl, MessageBody: body }));
    expect((await current(token)).usage.api_calls?.quantity).toBe(42);
  });

  it('counts once when the consumer crashes after writing and the batch is redelivered', async () => {
    const token = (await api.subscribe('org-crash')).token;
    crashAfterNextBatch = true;
    await track(token, { resource_type: 'api_calls', usage_amount: 250 });
    expect((await current(token)).usage.api_calls?.quantity).toBe(250);
    expect(crashAfterNextBatch).toBe(false);
  });

  it('moves a poison message to the DLQ while its neighbours count', async () => {
    const token = (await api.subscribe('org-poison')).token;
    const sqs = new SQSClient({ endpoint: api.stack.sqsEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    await sqs.send(new SendMessageCommand({ QueueUrl: api.stack.usageQueueUrl, MessageBody: '{"v":1,"tenant_id":"org-poison","records":"nope"' }));
    await track(token, { resource_type: 'alerts', usage_amount: 9 });
    expect((await current(token)).usage.alerts?.quantity).toBe(9);
    expect(await api.stack.usageDeadLetters()).toEqual([expect.stringContaining('"records":"nope"')]);
  });

  it('answers 202 only once SQS took the records: a failed entry is sent again, a refusal is a 503', async () => {
    const token = (await api.subscribe('org-sqs-faults')).token;
    api.stack.sqs.failNextSendEntries(1);
    expect((await track(token, { resource_type: 'api_calls', usage_amount: 11 })).status).toBe(202);
    expect((await current(token)).usage.api_calls?.quantity).toBe(11);
    api.stack.sqs.failNextSendEntries(50);
    const refused = await track(token, { resource_type: 'api_calls', usage_amount: 7 });
    api.stack.sqs.clearFaults();
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('service_unavailable');
    expect((await current(token)).usage.api_calls?.quantity).toBe(11);
  });

  it('answers 400 naming the record and field, and accepts nothing from a bad batch', async () => {
    const token = (await api.subscribe('org-bad')).token;
    const res = await track(token, {
      records: [
        { resource_type: 'api_calls', usage_amount: 1 },
        { resource_type: 'api_calls', usage_amount: 1.5 },
        { resource_type: 'cpu', usage_amount: 1 },
        { resource_type: 'alerts', usage_amount: -1 },
        { resource_type: 'alerts', usage_amount: 1, timestamp: '2026-01-01T00:00:00Z' },
      ],
    });
    expect(res.status).toBe(400);
    const fields = ((await res.json()) as { error: { details: { field: string }[] } }).error.details.map((d) => d.field);
    expect(fields).toEqual(expect.arrayContaining(['records.1.usage_amount', 'records.2.resource_type', 'records.3.usage_amount', 'records.4.timestamp']));
    expect((await current(token)).usage.api_calls?.quantity).toBe(0);
  });

  it('answers 413 for a body over the limit', async () => {
    const token = (await api.subscribe('org-huge')).token;
    const metadata = Object.fromEntries(Array.from({ length: 10 }, (_, k) => [`k${k}`, 'x'.repeat(250)]));
    const records = Array.from({ length: 1_000 }, () => ({ resource_type: 'alerts', usage_amount: 1, metadata }));
    expect((await track(token, { records })).status).toBe(413);
  });

  it('fires the 80% alert once per period, however the usage arrives', async () => {
    const token = (await api.subscribe('org-alert')).token;
    await track(token, { resource_type: 'api_calls', usage_amount: 8_000 });
    await api.stack.settle();
    await track(token, { resource_type: 'api_calls', usage_amount: 500 });
    await api.stack.settle();
    const alerts = await new BillingEventsRepository(tableRef()).list('org-alert', { limit: 50, type: 'usage.threshold_reached' });
    expect(alerts.items.map((e) => e.data)).toEqual([expect.objectContaining({ resource_type: 'api_calls', threshold_percent: 80, included: 10_000 })]);
  });

  it('answers /usage/history by day and by period, paged with a cursor', async () => {
    const token = (await api.subscribe('org-history')).token;
    const now = api.stack.clock.now().getTime();
    const day = 86_400_000;
    await track(token, {
      records: [
        { resource_type: 'api_calls', usage_amount: 10, timestamp: new Date(now - 2 * day).toISOString() },
        { resource_type: 'api_calls', usage_amount: 20, timestamp: new Date(now - day).toISOString() },
        { resource_type: 'api_calls', usage_amount: 5, timestamp: new Date(now - day + 60_000).toISOString() },
        { resource_type: 'devices', usage_amount: 3, timestamp: new Date(now - day).toISOString() },
      ],
    });
    await api.stack.settle();
    const from = new Date(now - 3 * day).toISOString();
    const to = new Date(now).toISOString();
    const page1 = (await (await api.call(`/usage/history?resource_type=api_calls&from=${from}&to=${to}&limit=1`, { token })).json()) as {
      items: { resource_type: string; start: string; end: string; quantity: number }[];
      next_cursor: string | null;
    };
    expect(page1.items).toEqual([{ resource_type: 'api_calls', start: `${new Date(now - 2 * day).toISOString().slice(0, 10)}T00:00:00.000Z`, end: expect.any(String), quantity: 10 }]);
    const page2 = (await (await api.call(`/usage/history?resource_type=api_calls&from=${from}&to=${to}&limit=1&cursor=${page1.next_cursor}`, { token })).json()) as {
      items: { quantity: number }[];
      next_cursor: string | null;
    };
    expect(page2.items.map((i) => i.quantity)).toEqual([25]);
    const periods = (await (await api.call(`/usage/history?granularity=period&from=${from}&to=${to}`, { token })).json()) as {
      items: { resource_type: string; quantity: number }[];
    };
    expect(periods.items.find((i) => i.resource_type === 'api_calls')?.quantity).toBe(35);
    expect(periods.items.find((i) => i.resource_type === 'devices')?.quantity).toBe(3);
    expect((await api.call('/usage/history?cursor=garbage', { token })).status).toBe(400);
    expect((await api.call('/usage/history?granularity=hour', { token })).status).toBe(400);
  });

  it('bills usage for an already billed period in the next open one, marked late', async () => {
    const token = (await api.subscribe('org-late')).token;
    await track(token, { resource_type: 'api_calls', usage_amount: 10 });
    const { period } = await current(token);
    // The overage run has billed this period.
    await tableRef().client.send(
      new UpdateCommand({ TableName: api.stack.tableName, Key: periodKey('org-late', period.start), UpdateExpression: 'SET #s = :b', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':b': 'billed' } }),
    );
    await api.advanceTo(new Date(Date.parse(period.end) + 3_600_000));
    await track(token, { resource_type: 'api_calls', usage_amount: 5, timestamp: new Date(Date.parse(period.end) - 60_000).toISOString() });
    const next = await current(token);
    expect(next.period.start).toBe(period.end);
    expect(next.usage.api_calls).toMatchObject({ quantity: 5, late_quantity: 5 });
  });
});
