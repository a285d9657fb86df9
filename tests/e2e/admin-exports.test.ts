import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/local-api';

/** CSV exports (SPEC section 7): RFC 4180, a page of tenants at a time, the same data the API shows. */
let api: TestApi;
let admin = '';
const tokens: Record<string, string> = {};
const FROM = '2027-01-01T00:00:00Z';
const TO = '2027-04-01T00:00:00Z';

beforeAll(async () => {
  api = await startTestApi({ start: new Date('2027-01-10T00:00:00Z') });
  admin = await api.token({ admin: true, userId: 'ops-1' });
  tokens['org-exp-a'] = (await api.subscribe('org-exp-a', { plan_id: 'starter' })).token;
  tokens['org-exp-b'] = (await api.subscribe('org-exp-b', { plan_id: 'professional', name: 'Beta, "Secure" Ltd' })).token;
  // 2,000 API calls over the starter quota: an overage line (billed after the period closes, on
  // the next invoice that is still open for items: March's, as February's finalized first).
  const res = await api.call('/usage/track', { method: 'POST', token: tokens['org-exp-a'], json: { resource_type: 'api_calls', usage_amount: 12_000 } });
  expect(res.status).toBe(202);
  await api.advanceTo('2027-03-10T03:00:00Z');
});

afterAll(async () => api.stack.stop());

/** An RFC 4180 reader written for the test (quoted fields, doubled quotes, CRLF records). */
const parseCsv = (text: string): string[][] => {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += 1;
    } else field += c;
  }
  expect(field, 'the last record ends with CRLF').toBe('');
  return rows;
};

const exportOf = async (kind: string, extra = ''): Promise<{ header: string[]; records: Record<string, string>[]; next: string | null; raw: string }> => {
  const res = await api.call(`/admin/exports/${kind}.csv?from=${FROM}&to=${TO}${extra}`, { token: admin });
  const raw = await res.text();
  expect(res.status, raw).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/csv');
  const [header = [], ...rows] = parseCsv(raw);
  return { header, records: rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? '']))), next: res.headers.get('x-next-cursor'), raw };
};

interface ApiInvoice {
  id: string;
  number: string | null;
  status: string;
  total: number;
  tax: number;
  amount_paid: number;
  created_at: string;
  lines?: { kind: string; description: string; amount: number; quantity: number; period_start: string; period_end: string }[];
}

describe('GET /admin/exports/{kind}.csv', () => {
  it('exports invoices as the API shows them', async () => {
    const { header, records } = await exportOf('invoices');
    expect(header.slice(0, 4)).toEqual(['tenant_id', 'invoice_id', 'number', 'status']);
    for (const tenant of ['org-exp-a', 'org-exp-b']) {
      const listed = ((await (await api.call('/invoices?limit=100', { token: tokens[tenant] })).json()) as { invoices: ApiInvoice[] }).invoices;
      const mine = records.filter((r) => r.tenant_id === tenant);
      expect(mine.map((r) => r.invoice_id).sort()).toEqual(listed.map((i) => i.id).sort());
      for (const i of listed) {
        const row = mine.find((r) => r.invoice_id === i.id);
        expect(row).toMatchObject({ number: i.number ?? '', status: i.status, total: String(i.total), tax: String(i.tax), amount_paid: String(i.amount_paid), created_at: i.created_at });
      }
    }
  });

  it('exports invoice lines as GET /invoices/{id} shows them', async () => {
    const { records } = await exportOf('invoice-lines', '&tenant_id=org-exp-a');
    const listed = ((await (await api.call('/invoices?limit=100', { token: tokens['org-exp-a'] })).json()) as { invoices: ApiInvoice[] }).invoices;
    const lines = [];
    for (const i of listed) {
      const full = ((await (await api.call(`/invoices/${i.id}`, { token: tokens['org-exp-a'] })).json()) as { invoice: ApiInvoice }).invoice;
      lines.push(...(full.lines ?? []).map((l) => [i.id, l.kind, l.description, String(l.quantity), String(l.amount)].join('|')));
    }
    expect(records.map((r) => [r.invoice_id, r.kind, r.description, r.quantity, r.amount].join('|')).sort()).toEqual(lines.sort());
    // 2,000 calls over the quota at $0.01, billed once.
    expect(records.filter((r) => r.kind === 'overage')).toHaveLength(1);
    expect(records.find((r) => r.kind === 'overage')).toMatchObject({ amount: '2000' });
  });

  it('exports events with their data as JSON in one quoted field, and usage per period', async () => {
    const events = await exportOf('events', '&tenant_id=org-exp-b');
    const listed = ((await (await api.call(`/events?limit=100&from=${FROM}`, { token: tokens['org-exp-b'] })).json()) as { events: { id: string; type: string; data: unknown }[] }).events;
    expect(events.records.map((r) => r.event_id).sort()).toEqual(listed.map((e) => e.id).sort());
    for (const e of listed) expect(JSON.parse(events.records.find((r) => r.event_id === e.id)?.data ?? 'null')).toEqual(e.data);
    expect(events.raw).toContain('""'); // JSON's quotes, doubled inside a quoted field

    const usage = await exportOf('usage', '&tenant_id=org-exp-a');
    const history = ((await (await api.call(`/usage/history?granularity=period&from=${FROM}&to=${TO}&limit=100`, { token: tokens['org-exp-a'] })).json()) as {
      items: { resource_type: string; start: string; quantity: number }[];
    }).items;
    expect(usage.records.map((r) => `${r.resource_type} ${r.period_start} ${r.quantity}`).sort()).toEqual(history.map((h) => `${h.resource_type} ${h.start} ${h.quantity}`).sort());
    expect(usage.records.find((r) => r.resource_type === 'api_calls')?.quantity).toBe('12000');
  });

  it('pages by tenant: each page a whole CSV with its header, the cursor to the next', async () => {
    const first = await exportOf('invoices', '&limit=1');
    expect(first.next).not.toBeNull();
    const second = await exportOf('invoices', `&limit=1&cursor=${first.next ?? ''}`);
    expect(second.header).toEqual(first.header);
    const tenants = new Set([...first.records, ...second.records].map((r) => r.tenant_id));
    expect([...tenants].sort()).toEqual(['org-exp-a', 'org-exp-b']);
    expect(new Set(first.records.map((r) => r.tenant_id)).size).toBe(1);
  });

  it('refuses an unknown kind, a bad range, and a tenant token', async () => {
    expect((await api.call(`/admin/exports/secrets.csv?from=${FROM}&to=${TO}`, { token: admin })).status).toBe(400);
    expect((await api.call(`/admin/exports/invoices.csv?to=${TO}`, { token: admin })).status).toBe(400);
    expect((await api.call(`/admin/exports/invoices.csv?from=${TO}&to=${FROM}`, { token: admin })).status).toBe(400);
    expect((await api.call(`/admin/exports/invoices.csv?from=${FROM}&to=${TO}`, { token: tokens['org-exp-a'] })).status).toBe(403);
  });
});
