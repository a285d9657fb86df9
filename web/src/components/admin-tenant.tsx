import { useEffect, useRef, type RefObject } from 'react';
import { ApiError } from '../api/client';
import type { TenantPicture } from '../api/types';
import { actorLabel, eventLabel, eventSummary, invoiceLabel, leftToPay, paymentRow, tenantName } from '../admin';
import { planById, useApp } from '../context';
import { addressLines, taxIdLabels } from '../customer';
import { accessSummary, readableDates } from '../entitlements';
import { currencyLabel, formatDate, formatDateTime, formatMoney, formatNumber, formatPeriod, formatQuantity, resourceLabels } from '../format';
import { safeUrl } from '../urls';
import { useResource } from '../use-resource';
import { RESOURCES } from '../../../src/domain/resources';
import { TenantActions } from './admin-actions';
import { ErrorNotice, Loading, StatusBadge } from './status';

const accessTones = { good: 'good', warn: 'warn', bad: 'bad' } as const;

/**
 * One tenant's page in the Admin tab (`GET /admin/tenants/{id}`): who it is, its subscription,
 * access and why, this period's usage, invoices, payments and failed attempts, recent billing
 * events, webhooks and their last deliveries; and the actions an operator takes for it.
 */
export const TenantPage = ({ tenantId, onBack }: { tenantId: string; onBack: () => void }) => {
  const { api } = useApp();
  const { state, reload, refreshing } = useResource(() => api.call('getTenant', { params: { id: tenantId } }));
  const heading = useRef<HTMLHeadingElement>(null);
  const ready = state.status === 'ready';

  useEffect(() => {
    if (ready) heading.current?.focus();
  }, [ready]);

  return (
    <div className="stack" data-testid="tenant-page" data-tenant={tenantId}>
      <div className="page-nav">
        <button type="button" className="button-link back-link" onClick={onBack}>
          ← Back to tenants
        </button>
        {ready ? (
          <button type="button" className="button-secondary" onClick={reload} disabled={refreshing} aria-busy={refreshing}>
            {refreshing ? 'Refreshing…' : 'Refresh'}
          </button>
        ) : null}
      </div>
      {state.status === 'loading' ? (
        <Loading label={`Loading ${tenantId}…`} />
      ) : state.status === 'error' ? (
        <ErrorNotice
          error={state.error instanceof ApiError && state.error.status === 404 ? new Error(`billing has no tenant ${tenantId}.`) : state.error}
          title="Not shown"
          onRetry={reload}
        />
      ) : (
        <Picture picture={state.data} headingRef={heading} onChanged={reload} />
      )}
    </div>
  );
};

const Picture = ({ picture, headingRef, onChanged }: { picture: TenantPicture; headingRef: RefObject<HTMLHeadingElement | null>; onChanged: () => void }) => {
  const { plans } = useApp();
  const { tenant, subscription: sub, entitlements, usage, invoices } = picture;
  const currency = tenant.currency;
  const name = tenantName(tenant);
  const access = accessSummary(entitlements);
  const planName = (id: string | null | undefined) => (id ? (planById(plans, id)?.name ?? id) : null);
  const details = picture.billing_details;

  return (
    <>
      <section className="card tenant-head" aria-labelledby="at-name">
        <h2 id="at-name" ref={headingRef} tabIndex={-1}>
          {name}
          {tenant.status ? <StatusBadge status={tenant.status} /> : <span className="badge badge-muted">No subscription</span>}
          <span className={`badge badge-${accessTones[access.tone]}`} data-testid="tenant-access">
            {access.label}
          </span>
        </h2>
        <dl className="kpis tenant-kpis">
          <div>
            <dt>Tenant</dt>
            <dd className="mono">{tenant.tenant_id}</dd>
          </div>
          <div>
            <dt>Plan</dt>
            <dd>{tenant.plan_id ? `${planName(tenant.plan_id)}${tenant.billing_cycle ? `, ${tenant.billing_cycle}` : ''}` : 'None'}</dd>
          </div>
          <div>
            <dt>MRR</dt>
            <dd data-testid="tenant-page-mrr">{currency ? formatMoney(tenant.mrr, currency) : '—'}</dd>
          </div>
          <div>
            <dt>Open balance</dt>
            <dd data-testid="tenant-page-open-balance">{currency ? formatMoney(tenant.open_balance, currency) : '—'}</dd>
          </div>
        </dl>
      </section>

      <TenantActions picture={picture} onDone={onChanged} />

      <div className="grid">
        <section className="card" aria-labelledby="at-details" data-testid="tenant-details">
          <h3 id="at-details">Billing details</h3>
          <dl className="facts">
            <dt>Name</dt>
            <dd>{details.name ?? <span className="muted">Not given</span>}</dd>
            <dt>Email</dt>
            <dd className="wrap">{details.email ?? <span className="muted">Not given</span>}</dd>
            <dt>Address</dt>
            <dd>
              {details.address ? (
                <address className="address">
                  {addressLines(details.address).map((line, i) => (
                    <span key={i}>{line}</span>
                  ))}
                </address>
              ) : (
                <span className="muted">Not given</span>
              )}
            </dd>
            <dt>Tax IDs</dt>
            <dd>
              {details.tax_ids.length === 0 ? (
                <span className="muted">None</span>
              ) : (
                <ul className="plain-list">
                  {details.tax_ids.map((t) => (
                    <li key={`${t.type}:${t.value}`}>
                      {taxIdLabels[t.type] ?? t.type} <span className="tax-id-value">{t.value}</span>
                    </li>
                  ))}
                </ul>
              )}
            </dd>
            <dt>Stripe customer</dt>
            <dd className="mono wrap">{picture.stripe_customer_id ?? <span className="muted">None yet</span>}</dd>
          </dl>
        </section>

        <section className="card" aria-labelledby="at-subscription" data-testid="tenant-subscription">
          <h3 id="at-subscription">Subscription</h3>
          {sub ? (
            <dl className="facts">
              <dt>Plan</dt>
              <dd>
                {planName(sub.plan_id)}, {sub.billing_cycle} <StatusBadge status={sub.status} />
              </dd>
              <dt>Currency</dt>
              <dd>{currencyLabel(sub.currency)}</dd>
              <dt>Period</dt>
              <dd data-testid="tenant-period">{formatPeriod(sub.current_period_start, sub.current_period_end)}</dd>
              {sub.trial_end ? (
                <>
                  <dt>Trial {sub.status === 'trialing' ? 'ends' : 'ended'}</dt>
                  <dd data-testid="tenant-trial-end">{formatDateTime(sub.trial_end)}</dd>
                </>
              ) : null}
              {sub.cancel_at_period_end ? (
                <>
                  <dt>Ends</dt>
                  <dd>{formatDate(sub.current_period_end)} (canceled at period end)</dd>
                </>
              ) : null}
              {sub.canceled_at ? (
                <>
                  <dt>Canceled</dt>
                  <dd>{formatDateTime(sub.canceled_at)}</dd>
                </>
              ) : null}
              {sub.pending_change ? (
                <>
                  <dt>Scheduled</dt>
                  <dd>
                    {planName(sub.pending_change.plan_id)} ({sub.pending_change.billing_cycle}) from {formatDate(sub.pending_change.effective_at)}
                  </dd>
                </>
              ) : null}
              <dt>Since</dt>
              <dd>{formatDate(sub.created_at)}</dd>
              <dt>Id</dt>
              <dd className="mono wrap">{sub.id}</dd>
            </dl>
          ) : (
            <p className="muted">No subscription.</p>
          )}
        </section>
      </div>

      <section className={`card access access-${access.tone}`} aria-labelledby="at-access" data-testid="tenant-entitlements" data-access={entitlements.access}>
        <div className="access-head">
          <h3 id="at-access">Access</h3>
          <span className={`badge badge-${access.tone}`}>{access.label}</span>
          {entitlements.changes_at ? <span className="muted small">changes on its own at {formatDateTime(entitlements.changes_at)}</span> : null}
        </div>
        {entitlements.reasons.length > 0 ? (
          <ul className="plain-list access-reasons">
            {entitlements.reasons.map((r) => (
              <li key={r.code} data-reason={r.code}>
                <span className="access-reason">{readableDates(r.message)}</span> <span className="muted small">({r.code})</span>
              </li>
            ))}
          </ul>
        ) : (
          <p className="muted small">No reason to limit access.</p>
        )}
        {entitlements.spend_cap ? (
          <p className="small">
            Spend cap {formatMoney(entitlements.spend_cap.amount, entitlements.spend_cap.currency)}: {formatMoney(entitlements.spend_cap.spent, entitlements.spend_cap.currency)} spent (
            {formatNumber(entitlements.spend_cap.percent_used)}%){entitlements.spend_cap.reached ? ', reached' : ''}.
          </p>
        ) : null}
      </section>

      <section className="card" aria-labelledby="at-usage" data-testid="tenant-usage">
        <h3 id="at-usage">
          Usage this period <span className="muted small">{formatPeriod(usage.period.start, usage.period.end)}{usage.trial ? ', trial' : ''}</span>
        </h3>
        <table className="stacked">
          <thead>
            <tr>
              <th scope="col">Resource</th>
              <th scope="col" className="num">
                Used
              </th>
              <th scope="col" className="num">
                Included
              </th>
              <th scope="col" className="num">
                Overage
              </th>
              <th scope="col" className="num">
                Overage charge
              </th>
            </tr>
          </thead>
          <tbody>
            {RESOURCES.map((r) => {
              const u = usage.usage[r];
              if (!u) return null;
              return (
                <tr key={r} data-resource={r}>
                  <td data-label="Resource">{resourceLabels[r].name}</td>
                  <td className="num" data-label="Used">
                    <span>
                      {formatQuantity(Number(u.quantity), r)}
                      {u.percent_used !== null ? <span className="muted small"> ({formatNumber(u.percent_used)}%)</span> : null}
                    </span>
                  </td>
                  <td className="num" data-label="Included">
                    {u.included === null ? '—' : formatNumber(u.included)}
                  </td>
                  <td className="num" data-label="Overage">
                    {formatNumber(Number(u.overage))}
                  </td>
                  <td className="num" data-label="Overage charge">
                    {formatMoney(Number(u.overage_amount), usage.currency)}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </section>

      <section className="card" aria-labelledby="at-invoices" data-testid="tenant-invoices">
        <h3 id="at-invoices">Invoices</h3>
        {invoices.length === 0 ? (
          <p className="muted">No invoices.</p>
        ) : (
          <table className="stacked">
            <thead>
              <tr>
                <th scope="col">Invoice</th>
                <th scope="col">Period</th>
                <th scope="col">Status</th>
                <th scope="col" className="num">
                  Total
                </th>
                <th scope="col" className="num">
                  Paid
                </th>
                <th scope="col" className="num">
                  Left to pay
                </th>
              </tr>
            </thead>
            <tbody>
              {invoices.map((i) => {
                const hosted = safeUrl(i.hosted_invoice_url);
                return (
                  <tr key={i.id} data-invoice={i.id}>
                    <td data-label="Invoice">
                      <span className="cell-stack">
                        {hosted ? (
                          <a href={hosted} target="_blank" rel="noopener noreferrer">
                            {invoiceLabel(i)}
                          </a>
                        ) : (
                          <span>{invoiceLabel(i)}</span>
                        )}
                        <span className="muted small">
                          {formatDate(i.created_at)}
                          {i.billing_reason ? ` · ${i.billing_reason.replace(/_/g, ' ')}` : ''}
                        </span>
                      </span>
                    </td>
                    <td data-label="Period">{formatPeriod(i.period_start, i.period_end)}</td>
                    <td data-label="Status">
                      <StatusBadge status={i.status} />
                    </td>
                    <td className="num" data-label="Total">
                      {formatMoney(i.total, i.currency)}
                    </td>
                    <td className="num" data-label="Paid">
                      {formatMoney(i.amount_paid, i.currency)}
                    </td>
                    <td className="num" data-label="Left to pay">
                      {i.status === 'open' ? formatMoney(leftToPay(i), i.currency) : '—'}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </section>

      <section className="card" aria-labelledby="at-payments" data-testid="tenant-payments">
        <h3 id="at-payments">Payments and attempts</h3>
        {picture.payments.length === 0 ? (
          <p className="muted">No payments yet.</p>
        ) : (
          <ul className="plain-list timeline">
            {picture.payments.map((e) => {
              const row = paymentRow(e, invoices);
              return (
                <li key={row.id} data-type={e.type}>
                  <span className="timeline-when">{formatDateTime(row.at)}</span>
                  <span>
                    <span className={`badge badge-${row.tone}`}>{row.label}</span>
                    {row.amount ? <strong> {row.amount}</strong> : null}
                    {row.invoice ? <span> invoice {row.invoice}</span> : null}
                    {row.detail ? <span className="muted small block">{row.detail}</span> : null}
                  </span>
                </li>
              );
            })}
          </ul>
        )}
      </section>

      <section className="card" aria-labelledby="at-events" data-testid="tenant-events">
        <h3 id="at-events">Recent billing events</h3>
        {picture.events.length === 0 ? (
          <p className="muted">No events.</p>
        ) : (
          <ul className="plain-list timeline">
            {picture.events.map((e) => {
              const summary = eventSummary(e, invoices, currency);
              const by = actorLabel(e.actor);
              return (
                <li key={e.id} data-type={e.type}>
                  <span className="timeline-when">{formatDateTime(e.occurred_at)}</span>
                  <span>
                    <strong>{eventLabel(e.type)}</strong>
                    {by ? <span className="muted small"> by {by}</span> : null}
                    {eventLabel(e.type) !== e.type ? <span className="muted small mono"> {e.type}</span> : null}
                    {summary ? <span className="block small event-summary">{summary}</span> : null}
                  </span>
                </li>
              );
            })}
          </ul>
        )}
      </section>

      <section className="card" aria-labelledby="at-webhooks" data-testid="tenant-webhooks">
        <h3 id="at-webhooks">Webhooks</h3>
        {picture.webhooks.length === 0 ? (
          <p className="muted">No webhook endpoints.</p>
        ) : (
          <ul className="plain-list webhook-list">
            {picture.webhooks.map((w) => (
              <li key={w.id}>
                <span className="mono wrap">{w.url}</span> {w.enabled ? <span className="badge badge-good">Enabled</span> : <span className="badge badge-muted">Disabled</span>}
                <span className="muted small block">
                  {w.events.length === 0 ? 'All events' : w.events.join(', ')} · since {formatDate(w.created_at)}
                </span>
              </li>
            ))}
          </ul>
        )}
        <h4>Last deliveries</h4>
        {picture.deliveries.length === 0 ? (
          <p className="muted">No deliveries.</p>
        ) : (
          <table className="stacked">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Event</th>
                <th scope="col">Outcome</th>
                <th scope="col">Endpoint</th>
              </tr>
            </thead>
            <tbody>
              {picture.deliveries.map((d) => (
                <tr key={`${d.endpoint_id}:${d.event_id}:${d.attempt}`}>
                  <td data-label="When">{formatDateTime(d.attempted_at)}</td>
                  <td data-label="Event">
                    {d.event_type} <span className="muted small">attempt {d.attempt}</span>
                  </td>
                  <td data-label="Outcome">
                    <span className="cell-stack">
                      <span>
                        <span className={`badge badge-${d.status === 'succeeded' ? 'good' : d.status === 'retrying' ? 'warn' : 'bad'}`}>{d.status}</span>
                        {d.status_code !== null ? <span className="muted small"> HTTP {d.status_code}</span> : null}
                      </span>
                      {d.error ? <span className="muted small">{d.error}</span> : null}
                      {d.next_attempt_at ? <span className="muted small">next try {formatDateTime(d.next_attempt_at)}</span> : null}
                    </span>
                  </td>
                  <td data-label="Endpoint" className="mono wrap">
                    {d.endpoint_id}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
};
