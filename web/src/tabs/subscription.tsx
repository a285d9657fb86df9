import { useEffect, useRef, useState } from 'react';
import { RESOURCES } from '../../../src/domain/resources';
import type { BillingCycle, Currency, Plan, Subscription, SubscriptionChange } from '../api/types';
import { annualSaving, previewChange } from '../billing';
import { PaymentBanners, PaymentMethodCard } from '../components/payment';
import { ErrorNotice, Loading, Notice, StatusBadge } from '../components/status';
import { fetchSubscription, liveSubscription, planById, useApp } from '../context';
import { currencyLabel, formatDate, formatMoney, formatNumber, formatRate, resourceLabels } from '../format';
import { fetchPaymentState } from '../payments';
import { useResource } from '../use-resource';

const TRIAL_DAYS = 14;
const CURRENCIES: readonly Currency[] = ['usd', 'eur', 'gbp'];

/** What the tenant is about to do; confirmed in a second step that says what will happen. */
type Action =
  | { kind: 'subscribe'; plan: Plan; cycle: BillingCycle }
  | { kind: 'change'; plan: Plan; cycle: BillingCycle }
  | { kind: 'cancel' }
  | { kind: 'undo-cancel' };

const perCycle = (cycle: BillingCycle) => (cycle === 'annual' ? 'year' : 'month');

export const SubscriptionTab = () => {
  const { api, plans, cardAdded } = useApp();
  const { state, reload } = useResource(async () => {
    const [subscription, payment] = await Promise.all([fetchSubscription(api), fetchPaymentState(api, { expectCard: cardAdded })]);
    return { subscription, payment };
  });
  const [cycle, setCycle] = useState<BillingCycle | null>(null);
  const [currency, setCurrency] = useState<Currency>('usd');
  const [trial, setTrial] = useState(true);
  const [action, setAction] = useState<{ action: Action; key: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<Error | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const confirmHeading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    if (action) confirmHeading.current?.focus();
  }, [action]);

  if (state.status === 'loading') return <Loading label="Loading your subscription…" />;
  if (state.status === 'error') return <ErrorNotice error={state.error} onRetry={reload} />;
  const previous = state.data.subscription;
  const { payment } = state.data;
  const live = liveSubscription(previous);
  const shownCycle = cycle ?? live?.billing_cycle ?? 'monthly';
  const shownCurrency: Currency = live?.currency ?? previous?.currency ?? currency;
  const currentPlan = live ? planById(plans, live.plan_id) : undefined;
  const trialAvailable = previous === null;

  const open = (next: Action) => {
    setFailure(null);
    setDone(null);
    setAction({ action: next, key: crypto.randomUUID() });
  };

  const confirm = async () => {
    if (!action) return;
    setBusy(true);
    setFailure(null);
    const a = action.action;
    const options = { idempotencyKey: action.key };
    try {
      if (a.kind === 'subscribe') {
        await api.post<{ subscription: Subscription }>(
          '/subscriptions/create',
          {
            plan_id: a.plan.id,
            billing_cycle: a.cycle,
            currency: shownCurrency,
            ...(trialAvailable ? { trial_days: trial ? TRIAL_DAYS : 0 } : {}),
          },
          options,
        );
        setDone(`Subscribed to ${a.plan.name} (${a.cycle}).${payment.card ? '' : trialAvailable && trial ? ' Add a card before the trial ends.' : ' Add a card to pay the first invoice.'}`);
      } else if (a.kind === 'change') {
        const { change } = await api.post<{ subscription: Subscription; change: SubscriptionChange }>(
          '/subscriptions/update',
          { plan_id: a.plan.id, billing_cycle: a.cycle },
          options,
        );
        setDone(
          change.kind === 'upgrade'
            ? `Upgraded to ${a.plan.name}. Charged now: ${formatMoney(change.proration_amount, shownCurrency)}.`
            : change.kind === 'downgrade'
              ? `${a.plan.name} starts on ${formatDate(change.effective_at ?? live?.current_period_end ?? '')}.`
              : `You stay on ${a.plan.name}; no change is scheduled.`,
        );
      } else if (a.kind === 'cancel') {
        const { subscription } = await api.post<{ subscription: Subscription }>('/subscriptions/cancel', {}, options);
        setDone(`Canceled. Access continues until ${formatDate(subscription.current_period_end)}.`);
      } else {
        await api.post('/subscriptions/update', { cancel_at_period_end: false }, options);
        setDone('Your subscription continues; nothing was canceled.');
      }
      setAction(null);
      reload();
    } catch (error) {
      setFailure(error instanceof Error ? error : new Error(String(error)));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="stack">
      <PaymentBanners subscription={live} payment={payment} />
      {live ? (
        <section className="card" aria-labelledby="sub-current">
          <h2 id="sub-current">Current subscription</h2>
          <p className="big">
            {currentPlan?.name ?? live.plan_id}, {live.billing_cycle} <StatusBadge status={live.status} />
          </p>
          <p>
            {live.status === 'trialing' && live.trial_end
              ? `Free trial until ${formatDate(live.trial_end)}. `
              : `Current period ${formatDate(live.current_period_start)} – ${formatDate(live.current_period_end)}. `}
            {live.cancel_at_period_end ? `Ends on ${formatDate(live.current_period_end)}.` : ''}
            {live.pending_change
              ? `Changes to ${planById(plans, live.pending_change.plan_id)?.name ?? live.pending_change.plan_id} (${live.pending_change.billing_cycle}) on ${formatDate(live.pending_change.effective_at)}.`
              : ''}
          </p>
          <div className="actions">
            {live.cancel_at_period_end ? (
              <button type="button" onClick={() => open({ kind: 'undo-cancel' })}>
                Keep my subscription
              </button>
            ) : (
              <button type="button" className="button-danger" onClick={() => open({ kind: 'cancel' })}>
                Cancel subscription
              </button>
            )}
          </div>
        </section>
      ) : null}

      {done ? <Notice kind="success">{done}</Notice> : null}

      {live || payment.card ? <PaymentMethodCard payment={payment} /> : null}

      {action ? (
        <section className="card confirm" aria-labelledby="confirm-heading" aria-live="polite">
          <h2 id="confirm-heading" ref={confirmHeading} tabIndex={-1}>
            {confirmTitle(action.action)}
          </h2>
          <ConfirmText action={action.action} subscription={live} currentPlan={currentPlan} currency={shownCurrency} trial={trialAvailable && trial} hasCard={payment.card !== null} />
          {failure ? <ErrorNotice error={failure} title="Not done" /> : null}
          <div className="actions">
            <button type="button" onClick={() => void confirm()} disabled={busy} aria-busy={busy}>
              {busy ? 'Working…' : confirmButton(action.action)}
            </button>
            <button type="button" className="button-secondary" onClick={() => setAction(null)} disabled={busy}>
              Back
            </button>
          </div>
        </section>
      ) : null}

      <section aria-labelledby="plans-heading">
        <h2 id="plans-heading">{live ? 'Change plan' : 'Choose a plan'}</h2>
        <div className="controls">
          <fieldset className="segmented">
            <legend>Billing cycle</legend>
            {(['monthly', 'annual'] as const).map((c) => (
              <label key={c}>
                <input type="radio" name="cycle" value={c} checked={shownCycle === c} onChange={() => setCycle(c)} />
                {c === 'monthly' ? 'Monthly' : 'Annual: 2 months free (save ~17%)'}
              </label>
            ))}
          </fieldset>
          {live || previous ? (
            <p className="muted">Prices in {currencyLabel(shownCurrency)}, your account's currency.</p>
          ) : (
            <label className="field">
              Currency
              <select value={currency} onChange={(e) => setCurrency(e.target.value as Currency)}>
                {CURRENCIES.map((c) => (
                  <option key={c} value={c}>
                    {currencyLabel(c)}
                  </option>
                ))}
              </select>
            </label>
          )}
          {!live && trialAvailable ? (
            <label className="field-inline">
              <input type="checkbox" checked={trial} onChange={(e) => setTrial(e.target.checked)} />
              Start with a {TRIAL_DAYS}-day free trial
            </label>
          ) : null}
          {!live && previous ? <p className="muted">The free trial has been used; a new subscription is charged from the start.</p> : null}
        </div>

        <ul className="plans">
          {plans.map((plan) => {
            const price = plan.prices[shownCurrency][shownCycle];
            const isCurrent = live?.plan_id === plan.id && live.billing_cycle === shownCycle;
            const preview = live && currentPlan ? previewChange(live, currentPlan, plan, shownCycle) : null;
            return (
              <li key={plan.id} className={`plan${isCurrent ? ' plan-current' : ''}`} aria-labelledby={`plan-${plan.id}`}>
                <h3 id={`plan-${plan.id}`}>{plan.name}</h3>
                <p className="price">
                  <span className="amount">{formatMoney(price, shownCurrency)}</span> / {perCycle(shownCycle)}
                </p>
                {shownCycle === 'annual' ? (
                  <p className="saving">Save {formatMoney(annualSaving(plan, shownCurrency), shownCurrency)} a year</p>
                ) : (
                  <p className="muted small">or {formatMoney(plan.prices[shownCurrency].annual, shownCurrency)} a year</p>
                )}
                <ul className="limits">
                  {RESOURCES.map((r) => (
                    <li key={r}>
                      {formatNumber(plan.limits[r])} {resourceLabels[r].quota}
                    </li>
                  ))}
                </ul>
                <details>
                  <summary>Overage rates</summary>
                  <ul className="limits">
                    {RESOURCES.map((r) => (
                      <li key={r}>
                        {resourceLabels[r].name}: {formatRate(plan.overage_rates[shownCurrency][r], shownCurrency)} per {resourceLabels[r].one}
                      </li>
                    ))}
                  </ul>
                </details>
                <div className="plan-action">
                  {!live ? (
                    <button type="button" onClick={() => open({ kind: 'subscribe', plan, cycle: shownCycle })} aria-label={`Subscribe to ${plan.name}`}>
                      Subscribe
                    </button>
                  ) : isCurrent ? (
                    live.pending_change ? (
                      <button type="button" className="button-secondary" onClick={() => open({ kind: 'change', plan, cycle: shownCycle })}>
                        Keep {plan.name}
                      </button>
                    ) : (
                      <span className="badge badge-good">Current plan</span>
                    )
                  ) : preview ? (
                    <button
                      type="button"
                      className={preview.kind === 'downgrade' ? 'button-secondary' : ''}
                      onClick={() => open({ kind: 'change', plan, cycle: shownCycle })}
                      aria-label={`${preview.kind === 'upgrade' ? 'Upgrade' : 'Downgrade'} to ${plan.name}`}
                    >
                      {preview.kind === 'upgrade' ? 'Upgrade' : 'Downgrade'}
                    </button>
                  ) : null}
                </div>
              </li>
            );
          })}
        </ul>
      </section>
    </div>
  );
};

const confirmTitle = (action: Action): string => {
  switch (action.kind) {
    case 'subscribe':
      return `Subscribe to ${action.plan.name}`;
    case 'change':
      return `Change to ${action.plan.name} (${action.cycle})`;
    case 'cancel':
      return 'Cancel your subscription';
    case 'undo-cancel':
      return 'Keep your subscription';
  }
};

const confirmButton = (action: Action): string => {
  switch (action.kind) {
    case 'subscribe':
      return 'Confirm subscription';
    case 'change':
      return 'Confirm change';
    case 'cancel':
      return 'Cancel at period end';
    case 'undo-cancel':
      return 'Keep subscription';
  }
};

const ConfirmText = ({
  action,
  subscription,
  currentPlan,
  currency,
  trial,
  hasCard,
}: {
  action: Action;
  subscription: Subscription | null;
  currentPlan: Plan | undefined;
  currency: Currency;
  trial: boolean;
  hasCard: boolean;
}) => {
  if (action.kind === 'subscribe') {
    const price = action.plan.prices[currency][action.cycle];
    return (
      <>
        <p>
          {action.plan.name}, billed {action.cycle === 'annual' ? 'yearly' : 'monthly'}: {formatMoney(price, currency)} per {perCycle(action.cycle)},
          plus any usage over the plan's quotas.
        </p>
        <p>
          {trial
            ? `Free for ${TRIAL_DAYS} days; the first charge of ${formatMoney(price, currency)} is at the end of the trial. Cancel before then and you pay nothing.`
            : `You are charged ${formatMoney(price, currency)} now.`}
        </p>
        {hasCard ? null : (
          <p>
            {trial
              ? 'No card is needed to start. Add one before the trial ends (Stripe collects it); without one the subscription ends with the trial.'
              : 'Then add a card (Stripe collects it) to pay the first invoice.'}
          </p>
        )}
      </>
    );
  }
  if (action.kind === 'cancel' && subscription) {
    return (
      <p>
        Your subscription stays active until {formatDate(subscription.current_period_end)} and then ends. There is no refund for the time
        left. You can undo this until then.
      </p>
    );
  }
  if (action.kind === 'undo-cancel' && subscription) {
    return <p>Your subscription renews on {formatDate(subscription.current_period_end)} as before.</p>;
  }
  if (action.kind === 'change' && subscription && currentPlan) {
    const preview = previewChange(subscription, currentPlan, action.plan, action.cycle);
    if (preview.kind === 'none') {
      return <p>You stay on {action.plan.name}; the scheduled change is dropped.</p>;
    }
    if (preview.kind === 'downgrade') {
      return (
        <p>
          You keep {currentPlan.name} until {formatDate(preview.effectiveAt ?? subscription.current_period_end)}; {action.plan.name} (
          {formatMoney(action.plan.prices[currency][action.cycle], currency)} per {perCycle(action.cycle)}) starts then. No credit is given for
          the rest of this period. Usage above {action.plan.name}'s lower quotas is billed as overage from then on.
        </p>
      );
    }
    return (
      <>
        <p>
          {action.plan.name} starts now, at {formatMoney(action.plan.prices[currency][action.cycle], currency)} per {perCycle(action.cycle)}.
        </p>
        {subscription.status === 'trialing' ? (
          <p>You are in your free trial: nothing is charged now.</p>
        ) : (
          <ChargeNow
            plan={action.plan}
            cycle={action.cycle}
            currency={currency}
            estimate={preview.chargeNow}
            explanation={
              action.cycle === subscription.billing_cycle
                ? `the new price for the rest of this period, until ${formatDate(subscription.current_period_end)}, less the unused part of ${currentPlan.name}`
                : `a new ${action.cycle} period starts today; the unused part of ${currentPlan.name} is credited`
            }
          />
        )}
      </>
    );
  }
  return null;
};

/**
 * The amount an upgrade charges now: the API's preview (Stripe's own preview invoice) once it
 * answers, the page's estimate until then.
 */
const ChargeNow = ({
  plan,
  cycle,
  currency,
  estimate,
  explanation,
}: {
  plan: Plan;
  cycle: BillingCycle;
  currency: Currency;
  estimate: number;
  explanation: string;
}) => {
  const { api } = useApp();
  const [exact, setExact] = useState<number | null>(null);
  useEffect(() => {
    let current = true;
    api
      .post<{ change: SubscriptionChange }>('/subscriptions/preview', { plan_id: plan.id, billing_cycle: cycle })
      .then(({ change }) => {
        if (current) setExact(change.proration_amount);
      })
      .catch(() => undefined); // the estimate stays on screen
    return () => {
      current = false;
    };
  }, [api, plan.id, cycle]);
  if (exact !== null) {
    return (
      <p>
        Charged now: <strong data-testid="proration-amount">{formatMoney(exact, currency)}</strong> ({explanation}; Stripe's preview of the invoice).
      </p>
    );
  }
  return (
    <p>
      Charged now: about <strong data-testid="proration-estimate">{formatMoney(estimate, currency)}</strong> (estimate: {explanation}). The
      invoice states the exact amount.
    </p>
  );
};
