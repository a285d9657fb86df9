import { useState } from 'react';
import { isGauge, RESOURCES } from '../../../src/domain/resources';
import type { ApiClient } from '../api/client';
import type { CurrentUsage, HistoryItem, Resource } from '../api/types';
import { ErrorNotice, Loading } from '../components/status';
import { UsageBar } from '../components/usage-bar';
import { UsageChart } from '../components/usage-chart';
import { useApp } from '../context';
import { accessSummary, readableDates } from '../entitlements';
import { formatPeriod, resourceLabels } from '../format';
import { useResource } from '../use-resource';

/** Every daily item of the period for one resource, following the cursor. */
const dailyHistory = async (api: ApiClient, resource: Resource, period: { start: string; end: string }): Promise<HistoryItem[]> => {
  const items: HistoryItem[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 10; page += 1) {
    const answer = await api.call('usageHistory', {
      query: { granularity: 'day', resource_type: resource, from: period.start, to: period.end, limit: 500, cursor },
    });
    items.push(...answer.items);
    if (!answer.next_cursor) break;
    cursor = answer.next_cursor;
  }
  return items;
};

export const UsageTab = () => {
  const { api } = useApp();
  const [resource, setResource] = useState<Resource>('api_calls');
  const current = useResource(() => api.call('currentUsage'));
  // Headroom per resource; the usage shows without it should this call fail.
  const entitlements = useResource(() => api.call('getEntitlements'));
  const [round, setRound] = useState(0);
  const refresh = () => {
    current.reload();
    entitlements.reload();
    setRound((r) => r + 1);
  };

  if (current.state.status === 'loading') return <Loading label="Loading usage…" />;
  if (current.state.status === 'error') return <ErrorNotice error={current.state.error} onRetry={current.reload} />;
  const usage = current.state.data;
  const ent = entitlements.state.status === 'ready' ? entitlements.state.data : null;
  // A plan whose metered usage is stopped now (read-only, blocked, or the spend cap reached).
  const stopped = ent && ent.plan_id !== null && RESOURCES.some((r) => !ent.allowed[r]) ? ent : null;

  return (
    <div className="stack">
      <section className="card" aria-labelledby="usage-heading">
        <div className="card-head">
          <h2 id="usage-heading">Usage this period</h2>
          <button type="button" className="button-secondary" onClick={refresh} disabled={current.refreshing}>
            {current.refreshing ? 'Refreshing…' : 'Refresh'}
          </button>
        </div>
        <p className="muted">
          {formatPeriod(usage.period.start, usage.period.end)}
          {usage.trial ? ' (trial: tracked, never billed)' : ''}. Marks at 80% and 100% of each quota; usage above 100% is billed as
          overage at the end of the period.
        </p>
        {usage.plan_id === null ? <p className="notice notice-info">No plan yet: usage is counted, with no quota to measure it against.</p> : null}
        {stopped ? (
          <p className="notice notice-warning" data-testid="usage-not-allowed">
            <strong>{accessSummary(stopped).label}:</strong> {stopped.reasons[0] ? readableDates(stopped.reasons[0].message) : 'metered usage is not allowed now.'}
          </p>
        ) : null}
        <div className="usage-list">
          {RESOURCES.map((r) => (
            <UsageBar
              key={r}
              resource={r}
              usage={usage.usage[r]}
              currency={usage.currency}
              headroom={ent?.headroom[r]}
            />
          ))}
        </div>
      </section>

      <section className="card" aria-labelledby="history-heading">
        <div className="card-head">
          <h2 id="history-heading">Daily usage</h2>
          <label className="field">
            Resource
            <select value={resource} onChange={(e) => setResource(e.target.value as Resource)}>
              {RESOURCES.map((r) => (
                <option key={r} value={r}>
                  {resourceLabels[r].name}
                </option>
              ))}
            </select>
          </label>
        </div>
        <History key={`${resource}:${usage.period.start}:${round}`} resource={resource} usage={usage} />
      </section>
    </div>
  );
};

const History = ({ resource, usage }: { resource: Resource; usage: CurrentUsage }) => {
  const { api } = useApp();
  const { state, reload } = useResource(() => dailyHistory(api, resource, usage.period));
  if (state.status === 'loading') return <Loading label="Loading daily usage…" />;
  if (state.status === 'error') return <ErrorNotice error={state.error} onRetry={reload} />;
  return <UsageChart resource={resource} items={state.data} period={usage.period} included={usage.usage[resource].included} gauge={isGauge(resource)} />;
};
