import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import type { TenantSearch, TenantSummary } from '../api/types';
import { EMPTY_SEARCH, searchCriteria, type SearchForm } from '../admin';
import { planById, useApp } from '../context';
import { formatMoney } from '../format';
import type { Loadable } from '../use-resource';
import { SUBSCRIPTION_STATUSES } from '../../../src/domain/subscription';
import { ErrorNotice, Loading, StatusBadge, statusLabel } from './status';

const PAGE = 25;
/** Typing pauses this long before the search runs on its own (Enter or "Search" runs it at once). */
const DEBOUNCE_MS = 400;

interface Results {
  readonly criteria: TenantSearch;
  readonly tenants: readonly TenantSummary[];
  readonly next: string | null;
}

const accessLabels: Readonly<Record<string, string>> = { read_only: 'Read-only', blocked: 'Blocked' };

/**
 * The tenant search (`GET /admin/tenants`): the start of an id, email or name, a status and a
 * plan; a table of what matches, with "Load more" through the API's cursor. The table becomes
 * one block per tenant on a phone. `onOpen` opens a tenant's page.
 */
export const TenantSearchCard = ({ onOpen }: { onOpen: (tenant: TenantSummary) => void }) => {
  const { api, plans } = useApp();
  const [form, setForm] = useState<SearchForm>(EMPTY_SEARCH);
  const [results, setResults] = useState<Loadable<Results>>({ status: 'loading' });
  const [searching, setSearching] = useState(false);
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreError, setMoreError] = useState<Error | null>(null);
  // Each search is numbered: only the latest one's answer (and its "Load more") is shown.
  const generation = useRef(0);
  const lastCriteria = useRef<string | null>(null);

  const run = useCallback(
    async (f: SearchForm, force = false) => {
      const criteria = searchCriteria(f);
      const json = JSON.stringify(criteria);
      if (!force && json === lastCriteria.current) return;
      lastCriteria.current = json;
      const mine = ++generation.current;
      setSearching(true);
      setMoreError(null);
      try {
        const page = await api.call('searchTenants', { query: { ...criteria, limit: PAGE } });
        if (mine === generation.current) setResults({ status: 'ready', data: { criteria, tenants: page.tenants, next: page.next_cursor } });
      } catch (error) {
        if (mine === generation.current) setResults({ status: 'error', error: error instanceof Error ? error : new Error(String(error)) });
      } finally {
        if (mine === generation.current) setSearching(false);
      }
    },
    [api],
  );

  // Every tenant at first; then whatever the query says once typing pauses.
  useEffect(() => {
    void run(EMPTY_SEARCH);
  }, [run]);
  const formRef = useRef(form);
  formRef.current = form;
  useEffect(() => {
    const timer = setTimeout(() => void run(formRef.current), DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [form.query, run]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run(form, true);
  };
  const choose = (field: 'status' | 'plan_id', value: string) => {
    const next = { ...form, [field]: value };
    setForm(next);
    void run(next);
  };

  const loadMore = async () => {
    if (results.status !== 'ready' || !results.data.next) return;
    const { criteria, next, tenants } = results.data;
    const mine = generation.current;
    setLoadingMore(true);
    setMoreError(null);
    try {
      const page = await api.call('searchTenants', { query: { ...criteria, limit: PAGE, cursor: next } });
      if (mine !== generation.current) return;
      // A tenant whose entries changed between two pages may come twice: once is enough.
      const seen = new Set(tenants.map((t) => t.tenant_id));
      setResults({ status: 'ready', data: { criteria, tenants: [...tenants, ...page.tenants.filter((t) => !seen.has(t.tenant_id))], next: page.next_cursor } });
    } catch (error) {
      if (mine === generation.current) setMoreError(error instanceof Error ? error : new Error(String(error)));
    } finally {
      setLoadingMore(false);
    }
  };

  const planName = (id: string | null) => (id ? (planById(plans, id)?.name ?? id) : null);

  return (
    <section className="card" aria-labelledby="admin-tenants" data-testid="tenant-search">
      <h2 id="admin-tenants">Tenants</h2>
      <form className="search-form" role="search" aria-label="Find a tenant" onSubmit={submit}>
        <div className="field field-query">
          <label htmlFor="tenant-query">Tenant id, email or name</label>
          <input
            id="tenant-query"
            type="search"
            value={form.query}
            placeholder="Starts with…"
            autoComplete="off"
            spellCheck={false}
            maxLength={200}
            onChange={(e) => setForm({ ...form, query: e.target.value })}
          />
        </div>
        <div className="field">
          <label htmlFor="tenant-status">Status</label>
          <select id="tenant-status" value={form.status} onChange={(e) => choose('status', e.target.value)}>
            <option value="">Any status</option>
            {SUBSCRIPTION_STATUSES.map((s) => (
              <option key={s} value={s}>
                {statusLabel(s)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="tenant-plan">Plan</label>
          <select id="tenant-plan" value={form.plan_id} onChange={(e) => choose('plan_id', e.target.value)}>
            <option value="">Any plan</option>
            {plans.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" disabled={searching} aria-busy={searching}>
          {searching ? 'Searching…' : 'Search'}
        </button>
      </form>
      {results.status === 'loading' ? (
        <Loading label="Finding tenants…" />
      ) : results.status === 'error' ? (
        <ErrorNotice error={results.error} onRetry={() => void run(form, true)} />
      ) : results.data.tenants.length === 0 ? (
        <p className="muted" role="status" data-testid="tenant-none">
          {results.data.next ? 'None on this page of the index.' : 'No tenant matches.'}
        </p>
      ) : (
        <table className="stacked tenants" data-testid="tenant-results" aria-busy={searching}>
          <caption className="visually-hidden">Tenants found</caption>
          <thead>
            <tr>
              <th scope="col">Tenant</th>
              <th scope="col">Name and email</th>
              <th scope="col">Status</th>
              <th scope="col">Plan</th>
              <th scope="col" className="num">
                MRR
              </th>
              <th scope="col" className="num">
                Open balance
              </th>
            </tr>
          </thead>
          <tbody>
            {results.data.tenants.map((t) => (
              <tr key={t.tenant_id} data-tenant={t.tenant_id}>
                <td data-label="Tenant">
                  <button type="button" className="button-link tenant-open" data-tenant-open={t.tenant_id} onClick={() => onOpen(t)}>
                    <span className="visually-hidden">Open tenant </span>
                    {t.tenant_id}
                  </button>
                </td>
                <td data-label="Name and email">
                  <span className="cell-stack">
                    <span>{t.name ?? <span className="muted">No name</span>}</span>
                    {t.email ? <span className="muted small">{t.email}</span> : null}
                  </span>
                </td>
                <td data-label="Status">
                  <span>
                    {t.status ? <StatusBadge status={t.status} /> : <span className="badge badge-muted">No subscription</span>}
                    {accessLabels[t.access] ? <span className={`badge badge-${t.access === 'blocked' ? 'muted' : 'bad'}`}>{accessLabels[t.access]}</span> : null}
                  </span>
                </td>
                <td data-label="Plan">{t.plan_id ? `${planName(t.plan_id)}${t.billing_cycle ? `, ${t.billing_cycle}` : ''}` : <span className="muted">None</span>}</td>
                <td className="num" data-label="MRR" data-testid="tenant-mrr">
                  {t.currency ? formatMoney(t.mrr, t.currency) : '—'}
                </td>
                <td className="num" data-label="Open balance" data-testid="tenant-open-balance">
                  {t.currency ? formatMoney(t.open_balance, t.currency) : '—'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {moreError ? <ErrorNotice error={moreError} /> : null}
      {results.status === 'ready' && results.data.next ? (
        <button type="button" className="button-secondary load-more" onClick={() => void loadMore()} disabled={loadingMore} aria-busy={loadingMore}>
          {loadingMore ? 'Loading…' : 'Load more tenants'}
        </button>
      ) : null}
      {results.status === 'ready' && results.data.tenants.length > 0 ? (
        <p className="muted small" role="status">
          {results.data.tenants.length === 1 ? '1 tenant' : `${results.data.tenants.length} tenants`}
          {results.data.next ? ' so far' : ''}. MRR counts paying subscriptions (active, past due) at list price; a trial is 0.
        </p>
      ) : null}
    </section>
  );
};

