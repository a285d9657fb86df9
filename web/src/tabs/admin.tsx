import { useCallback, useRef, useState } from 'react';
import { ExportsCard } from '../components/admin-exports';
import { RevenueCard } from '../components/admin-revenue';
import { TenantSearchCard } from '../components/admin-search';
import { TenantPage } from '../components/admin-tenant';
import { ErrorNotice, Loading, statusLabel } from '../components/status';
import { planById, useApp } from '../context';
import { currencyLabel, formatDate, formatDateTime, formatMoney, formatNumber } from '../format';
import { useResource } from '../use-resource';

const MoneyByCurrency = ({ amounts }: { amounts: Record<string, number> }) => {
  const entries = Object.entries(amounts).filter(([, v]) => v !== 0);
  if (entries.length === 0) return <span className="muted">none</span>;
  return (
    <>
      {entries.map(([currency, amount], i) => (
        <span key={currency}>
          {i > 0 ? ', ' : ''}
          {formatMoney(amount, currency)}
        </span>
      ))}
    </>
  );
};

const Counts = ({ title, counts, label }: { title: string; counts: Record<string, number>; label: (key: string) => string }) => {
  const entries = Object.entries(counts).sort(([a], [b]) => a.localeCompare(b));
  return (
    <section className="card" aria-labelledby={`admin-${title}`}>
      <h3 id={`admin-${title}`}>{title}</h3>
      {entries.length === 0 ? (
        <p className="muted">None</p>
      ) : (
        <div className="table-scroll">
          <table>
            <tbody>
              {entries.map(([key, count]) => (
                <tr key={key}>
                  <th scope="row">{label(key)}</th>
                  <td className="num">{formatNumber(count)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
};

/**
 * The Admin tab (admin tokens only; the API enforces it): the tenant search, the overview
 * figures, the revenue report and the exports, or one tenant's page. The search stays mounted
 * (hidden) while a tenant is open, so "Back to tenants" finds it as it was, focused on the
 * tenant just seen.
 */
export const AdminTab = () => {
  const [opened, setOpened] = useState<string | null>(null);
  const last = useRef<string | null>(null);
  const open = useCallback((tenantId: string) => {
    last.current = tenantId;
    setOpened(tenantId);
  }, []);
  const back = useCallback(() => {
    setOpened(null);
    requestAnimationFrame(() => {
      const id = last.current;
      const button = id ? document.querySelector<HTMLElement>(`[data-tenant-open="${CSS.escape(id)}"]`) : null;
      (button ?? document.getElementById('tenant-query'))?.focus();
    });
  }, []);
  return (
    <>
      <div className="stack" hidden={opened !== null}>
        <TenantSearchCard onOpen={(t) => open(t.tenant_id)} />
        <Overview onOpen={open} />
        <RevenueCard />
        <ExportsCard />
      </div>
      {opened ? <TenantPage key={opened} tenantId={opened} onBack={back} /> : null}
    </>
  );
};

const TenantLink = ({ tenantId, onOpen }: { tenantId: string; onOpen: (tenantId: string) => void }) => (
  <button type="button" className="button-link" onClick={() => onOpen(tenantId)}>
    <span className="visually-hidden">Open tenant </span>
    {tenantId}
  </button>
);

/** `GET /admin/overview`: revenue, subscriptions, trials ending and tenants past due. */
const Overview = ({ onOpen }: { onOpen: (tenantId: string) => void }) => {
  const { api, plans } = useApp();
  const { state, reload, refreshing } = useResource(() => api.call('overview'));
  if (state.status === 'loading') return <Loading label="Loading the overview…" />;
  if (state.status === 'error') return <ErrorNotice error={state.error} onRetry={reload} />;
  const o = state.data;
  const planName = (id: string) => planById(plans, id)?.name ?? id;

  return (
    <div className="stack">
      <div className="card-head">
        <h2>
          Overview<span className="muted small"> as of {formatDateTime(o.as_of)}</span>
        </h2>
        <button type="button" className="button-secondary" onClick={reload} disabled={refreshing}>
          {refreshing ? 'Refreshing…' : 'Refresh'}
        </button>
      </div>
      <dl className="kpis">
        <div>
          <dt>MRR</dt>
          <dd>
            <MoneyByCurrency amounts={o.mrr} />
          </dd>
        </div>
        <div>
          <dt>ARR</dt>
          <dd>
            <MoneyByCurrency amounts={o.arr} />
          </dd>
        </div>
        <div>
          <dt>Overage revenue this period</dt>
          <dd>
            <MoneyByCurrency amounts={o.overage_revenue_current_period} />
          </dd>
        </div>
        <div>
          <dt>New this month</dt>
          <dd>{formatNumber(o.new_this_month)}</dd>
        </div>
        <div>
          <dt>Churned this month</dt>
          <dd>{formatNumber(o.churned_this_month)}</dd>
        </div>
      </dl>
      <div className="grid">
        <Counts title="Live subscriptions by plan" counts={o.subscriptions.by_plan} label={planName} />
        <Counts title="Subscriptions by status" counts={o.subscriptions.by_status} label={statusLabel} />
      </div>
      <section className="card" aria-labelledby="admin-trials">
        <h3 id="admin-trials">Trials ending in the next 7 days</h3>
        {o.trials_ending_7d.length === 0 ? (
          <p className="muted">None.</p>
        ) : (
          <div className="table-scroll">
            <table>
              <thead>
                <tr>
                  <th scope="col">Tenant</th>
                  <th scope="col">Plan</th>
                  <th scope="col">Trial ends</th>
                </tr>
              </thead>
              <tbody>
                {o.trials_ending_7d.map((t) => (
                  <tr key={t.tenant_id}>
                    <td>
                      <TenantLink tenantId={t.tenant_id} onOpen={onOpen} />
                    </td>
                    <td>{planName(t.plan_id)}</td>
                    <td>{formatDate(t.trial_end)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section className="card" aria-labelledby="admin-past-due">
        <h3 id="admin-past-due">Past due</h3>
        {o.past_due.length === 0 ? (
          <p className="muted">No tenant is past due.</p>
        ) : (
          <div className="table-scroll">
            <table>
              <thead>
                <tr>
                  <th scope="col">Tenant</th>
                  <th scope="col">Plan</th>
                </tr>
              </thead>
              <tbody>
                {o.past_due.map((t) => (
                  <tr key={t.tenant_id}>
                    <td>
                      <TenantLink tenantId={t.tenant_id} onOpen={onOpen} />
                    </td>
                    <td>{planName(t.plan_id)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <p className="muted small">Amounts per currency; {Object.keys(o.arr).map(currencyLabel).join(', ') || 'no currency'} in use.</p>
    </div>
  );
};
