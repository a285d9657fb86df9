import { useState } from 'react';
import { RESOURCES } from '../../../src/domain/resources';
import type { Entitlements, InvoiceSummary } from '../api/types';
import { estimateBill, estimateTax, lastTaxedInvoice, planPrice, type TaxEstimate } from '../billing';
import { AccessCard } from '../components/access';
import { PaymentBanners, PaymentMethodCard } from '../components/payment';
import { SpendCapCard } from '../components/spend-cap';
import { Empty, ErrorNotice, Loading, StatusBadge } from '../components/status';
import { fetchSubscription, liveSubscription, planById, useApp, type TabId } from '../context';
import { formatDate, formatMoney, formatPercent, formatPeriod, formatQuantity, resourceLabels } from '../format';
import { fetchPaymentState } from '../payments';
import { useResource } from '../use-resource';

export const Dashboard = ({ onNavigate }: { onNavigate: (tab: TabId) => void }) => {
  const { api, plans, cardAdded } = useApp();
  const { state, reload } = useResource(async () => {
    const [subscription, usage, invoices, payment, entitlements] = await Promise.all([
      fetchSubscription(api),
      api.call('currentUsage'),
      api.call('listInvoices', { query: { limit: 5 } }),
      fetchPaymentState(api, { expectCard: cardAdded }),
      api.call('getEntitlements'),
    ]);
    return { subscription, usage, invoices: invoices.invoices, payment, entitlements };
  });
  // The API's answer to a spend-cap change on this visit, until the next load brings it.
  const [savedEntitlements, setSavedEntitlements] = useState<Entitlements | null>(null);

  if (state.status === 'loading') return <Loading label="Loading your billing summary…" />;
  if (state.status === 'error') return <ErrorNotice error={state.error} onRetry={reload} />;
  const { usage, invoices, payment } = state.data;
  const entitlements = savedEntitlements ?? state.data.entitlements;
  const subscription = liveSubscription(state.data.subscription);
  const ended = state.data.subscription;

  if (!subscription) {
    return (
      <section aria-labelledby="dash-none" className="stack">
        <PaymentBanners subscription={null} payment={payment} />
        <h2 id="dash-none">No active subscription</h2>
        <Empty>
          <p>
            {ended
              ? `Your ${planById(plans, ended.plan_id)?.name ?? ended.plan_id} subscription ended${ended.canceled_at ? ` on ${formatDate(ended.canceled_at)}` : ''}.`
              : 'You have not subscribed to a plan yet.'}
          </p>
          <button type="button" onClick={() => onNavigate('subscription')}>
            Choose a plan
          </button>
        </Empty>
        <RecentInvoices invoices={invoices} onNavigate={onNavigate} />
      </section>
    );
  }

  const plan = planById(plans, subscription.plan_id);
  const bill = estimateBill(usage, plan, subscription);
  const tax = estimateTax(bill.total, lastTaxedInvoice(invoices));
  const total = bill.total + (tax.kind === 'unknown' ? 0 : tax.amount);
  const overLines = RESOURCES.filter((r) => (usage.usage[r]?.overage_amount ?? 0) > 0);
  const pendingPlan = subscription.pending_change ? planById(plans, subscription.pending_change.plan_id) : undefined;

  return (
    <div className="grid">
      <PaymentBanners subscription={subscription} payment={payment} />
      <AccessCard entitlements={entitlements} invoices={invoices} />
      <section className="card" aria-labelledby="dash-plan">
        <h2 id="dash-plan">Your plan</h2>
        <p className="big">
          {plan?.name ?? subscription.plan_id} <StatusBadge status={subscription.status} />
        </p>
        <dl className="facts">
          <dt>Billing</dt>
          <dd>
            {subscription.billing_cycle === 'annual' ? 'Annual' : 'Monthly'}
            {plan ? `, ${formatMoney(planPrice(plan, subscription), subscription.currency)} per ${subscription.billing_cycle === 'annual' ? 'year' : 'month'}` : ''}
          </dd>
          {subscription.status === 'trialing' && subscription.trial_end ? (
            <>
              <dt>Free trial</dt>
              <dd data-testid="trial-end">Until {formatDate(subscription.trial_end)}</dd>
            </>
          ) : null}
          <dt>{subscription.cancel_at_period_end ? 'Ends' : subscription.status === 'trialing' ? 'First charge' : 'Renews'}</dt>
          <dd>{formatDate(subscription.current_period_end)}</dd>
          {subscription.pending_change ? (
            <>
              <dt>Scheduled change</dt>
              <dd>
                To {pendingPlan?.name ?? subscription.pending_change.plan_id} ({subscription.pending_change.billing_cycle}) on{' '}
                {formatDate(subscription.pending_change.effective_at)}
              </dd>
            </>
          ) : null}
        </dl>
        {subscription.cancel_at_period_end ? (
          <p className="notice notice-warning">Canceled: access continues until {formatDate(subscription.current_period_end)}.</p>
        ) : null}
      </section>

      <section className="card" aria-labelledby="dash-bill">
        <h2 id="dash-bill">This period so far</h2>
        <p className="muted">{formatPeriod(usage.period.start, usage.period.end)}</p>
        {usage.trial ? (
          <p>
            Trial period: usage is tracked, never billed.
            {plan && subscription.trial_end
              ? ` Your first invoice, ${formatMoney(planPrice(plan, subscription), subscription.currency)}, comes on ${formatDate(subscription.trial_end)}.`
              : ''}
          </p>
        ) : (
          <div className="table-scroll">
            <table className="lines">
              <caption className="visually-hidden">Estimated bill for this period</caption>
              <tbody>
                {bill.planAmount !== null ? (
                  <tr>
                    <th scope="row">{plan?.name ?? subscription.plan_id} plan</th>
                    <td className="num">{formatMoney(bill.planAmount, subscription.currency)}</td>
                  </tr>
                ) : (
                  <tr>
                    <th scope="row">Annual plan</th>
                    <td className="num muted">paid at renewal</td>
                  </tr>
                )}
                {overLines.map((r) => (
                  <tr key={r}>
                    <th scope="row">
                      {resourceLabels[r].name} overage ({formatQuantity(usage.usage[r].overage, r)})
                    </th>
                    <td className="num">{formatMoney(usage.usage[r].overage_amount, subscription.currency)}</td>
                  </tr>
                ))}
                {overLines.length === 0 ? (
                  <tr>
                    <th scope="row">Overage</th>
                    <td className="num">{formatMoney(0, subscription.currency)}</td>
                  </tr>
                ) : null}
                <TaxRow tax={tax} currency={subscription.currency} />
              </tbody>
              <tfoot>
                <tr>
                  <th scope="row">{tax.kind === 'unknown' ? 'Estimated total before tax' : 'Estimated total'}</th>
                  <td className="num" data-testid="estimated-total">
                    {formatMoney(total, subscription.currency)}
                  </td>
                </tr>
              </tfoot>
            </table>
          </div>
        )}
        <p className="muted small">
          An estimate from usage counted so far{usage.trial || tax.kind !== 'unknown' ? '' : ', before tax'}; Stripe Tax works out each invoice's
          tax, and the invoice is what you pay.
        </p>
      </section>

      <SpendCapCard entitlements={entitlements} currency={entitlements.currency ?? subscription.currency} onSaved={setSavedEntitlements} />

      <PaymentMethodCard payment={payment} />

      <RecentInvoices invoices={invoices} onNavigate={onNavigate} />
    </div>
  );
};

/** The estimated tax: at the last invoice's one rate, nothing under reverse charge, or "where applicable". */
const TaxRow = ({ tax, currency }: { tax: TaxEstimate; currency: string }) => (
  <tr data-testid="estimated-tax">
    <th scope="row">
      {tax.kind === 'rate' ? (
        <>
          Estimated tax{' '}
          <span className="muted small row-note">
            {tax.percentage === 0 ? 'none, as on your last invoice' : `at ${formatPercent(tax.percentage)}, the rate of your last invoice`}
          </span>
        </>
      ) : tax.kind === 'reverse_charge' ? (
        <>
          Tax <span className="muted small row-note">Reverse charge, as on your last invoice</span>
        </>
      ) : (
        'Tax'
      )}
    </th>
    <td className="num">{tax.kind === 'unknown' ? <span className="muted">plus tax where applicable</span> : formatMoney(tax.amount, currency)}</td>
  </tr>
);

const RecentInvoices = ({ invoices, onNavigate }: { invoices: readonly InvoiceSummary[]; onNavigate: (tab: TabId) => void }) => (
  <section className="card card-wide" aria-labelledby="dash-invoices">
    <h2 id="dash-invoices">Recent invoices</h2>
    {invoices.length === 0 ? (
      <Empty>
        <p>No invoices yet.</p>
      </Empty>
    ) : (
      <div className="table-scroll">
        <table>
          <thead>
            <tr>
              <th scope="col">Invoice</th>
              <th scope="col">Date</th>
              <th scope="col">Status</th>
              <th scope="col" className="num">
                Total
              </th>
            </tr>
          </thead>
          <tbody>
            {invoices.map((inv) => (
              <tr key={inv.id}>
                <td>{inv.number ?? inv.id}</td>
                <td>{formatDate(inv.created_at)}</td>
                <td>
                  <StatusBadge status={inv.status} />
                </td>
                <td className="num">{formatMoney(inv.total, inv.currency)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    )}
    <button type="button" className="button-link" onClick={() => onNavigate('invoices')}>
      All invoices
    </button>
  </section>
);
