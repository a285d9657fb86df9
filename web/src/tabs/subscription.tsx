import { useEffect, useRef, useState } from 'react';
import { RESOURCES } from '../../../src/domain/resources';
import { fieldIssuesOf } from '../api/client';
import type { BillingCycle, Currency, Customer, Plan, Subscription, SubscriptionChange, SubscriptionDiscount } from '../api/types';
import { annualSaving, previewChange } from '../billing';
import { BillingDetailsCard } from '../components/billing-details';
import { CountrySelect, Field, focusFirstError } from '../components/form';
import { PaymentBanners, PaymentMethodCard } from '../components/payment';
import { ErrorNotice, Loading, Notice, StatusBadge } from '../components/status';
import { fetchSubscription, liveSubscription, planById, useApp } from '../context';
import { addressFields, addressInput, fieldErrors, locationProblems, type FieldErrors } from '../customer';
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

/** "WELCOME20: 20% off until 1 Apr 2027", from the subscription's discount. */
const discountText = (d: SubscriptionDiscount, currency: Currency): string => {
  const off = d.percent_off !== undefined ? `${d.percent_off}% off` : `${formatMoney(d.amount_off ?? 0, currency)} off`;
  const until = d.duration === 'once' ? ' the next invoice' : d.duration === 'forever' ? ' every invoice' : d.ends_at ? ` until ${formatDate(d.ends_at)}` : '';
  return `Discount${d.code ? ` ${d.code}` : ''}: ${d.name ? `${d.name}, ` : ''}${off}${until}.`;
};

const perCycle = (cycle: BillingCycle) => (cycle === 'annual' ? 'year' : 'month');

/** Where Stripe Tax places the tenant, asked for in the subscribe step when the API has no country yet. */
interface TaxLocation {
  readonly country: string;
  readonly postal_code: string;
}

const LOCATION_FIELDS: readonly (readonly [key: string, id: string])[] = [
  ['country', 'sub-country'],
  ['postal_code', 'sub-postal-code'],
];

/** "Upgraded ... Charged now: ..." from the API's answer: the plan change, overage so far, and the tax on both. */
const upgradeCharged = (change: SubscriptionChange, currency: Currency): string => {
  const overage = change.overage_amount ?? 0;
  const tax = change.tax_amount ?? 0;
  const total = change.proration_amount + overage + tax;
  const parts = [
    `${formatMoney(change.proration_amount, currency)} for the plan change`,
    ...(overage > 0 ? [`${formatMoney(overage, currency)} overage so far`] : []),
    `${formatMoney(tax, currency)} tax`,
  ];
  return `Charged now: ${formatMoney(total, currency)} (${parts.join(', ')}).`;
};

export const SubscriptionTab = () => {
  const { api, plans, cardAdded } = useApp();
  const { state, reload } = useResource(async () => {
    const [subscription, payment, customer] = await Promise.all([
      fetchSubscription(api),
      fetchPaymentState(api, { expectCard: cardAdded }),
      api.call('getBillingDetails'),
    ]);
    return { subscription, payment, customer: customer.customer };
  });
  // Billing details saved on this visit (the API's answer), until the next load brings them.
  const [savedCustomer, setSavedCustomer] = useState<Customer | null>(null);
  const [location, setLocation] = useState<TaxLocation>({ country: '', postal_code: '' });
  const [locationErrors, setLocationErrors] = useState<FieldErrors>({});
  // The API refused the stored address for tax (Stripe could not place it): ask here too.
  const [locationRefused, setLocationRefused] = useState(false);
  // One Idempotency-Key per request body: a retry of the same confirmation reuses it.
  const attempt = useRef<{ body: string; key: string } | null>(null);
  const [cycle, setCycle] = useState<BillingCycle | null>(null);
  const [currency, setCurrency] = useState<Currency>('usd');
  const [trial, setTrial] = useState(true);
  const [action, setAction] = useState<{ action: Action } | null>(null);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<Error | null>(null);
  const [done, setDone] = useState<string | null>(null);
  // A promotion code typed in the subscribe or change step; the API says why one is refused.
  const [promoCode, setPromoCode] = useState('');
  const [promoError, setPromoError] = useState<string | undefined>(undefined);
  const confirmHeading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    if (action) confirmHeading.current?.focus();
  }, [action]);

  if (state.status === 'loading') return <Loading label="Loading your subscription…" />;
  if (state.status === 'error') return <ErrorNotice error={state.error} onRetry={reload} />;
  const previous = state.data.subscription;
  const { payment } = state.data;
  const customer = savedCustomer ?? state.data.customer;
  const askLocation = customer.tax_location === 'missing' || locationRefused;
  const live = liveSubscription(previous);
  const shownCycle = cycle ?? live?.billing_cycle ?? 'monthly';
  const shownCurrency: Currency = live?.currency ?? previous?.currency ?? currency;
  const currentPlan = live ? planById(plans, live.plan_id) : undefined;
  const trialAvailable = previous === null;

  const open = (next: Action) => {
    setFailure(null);
    setDone(null);
    setLocationErrors({});
    setLocationRefused(false);
    setPromoCode('');
    setPromoError(undefined);
    setLocation({ country: customer.address?.country ?? '', postal_code: customer.address?.postal_code ?? '' });
    attempt.current = null;
    setAction({ action: next });
  };

  const keyFor = (body: unknown): string => {
    const json = JSON.stringify(body);
    if (attempt.current?.body !== json) attempt.current = { body: json, key: crypto.randomUUID() };
    return attempt.current.key;
  };

  /** The address to send with the subscription when it is asked for here; null when the fields are not right yet. */
  const locationToSend = (): { address?: ReturnType<typeof addressInput> } | null => {
    if (!askLocation) return {};
    const fields = { ...addressFields(customer.address), ...location };
    const problems: FieldErrors = location.country ? locationProblems(fields) : { country: 'Choose the country you are billed in.' };
    setLocationErrors(problems);
    if (Object.keys(problems).length > 0) {
      focusFirstError(problems, LOCATION_FIELDS);
      return null;
    }
    return { address: addressInput(location, customer.address) };
  };

  const confirm = async () => {
    if (!action) return;
    const a = action.action;
    const located = a.kind === 'subscribe' ? locationToSend() : {};
    if (located === null) return;
    setBusy(true);
    setFailure(null);
    setPromoError(undefined);
    const promo = promoCode.trim() ? { promotion_code: promoCode.trim() } : {};
    try {
      if (a.kind === 'subscribe') {
        const body = {
          plan_id: a.plan.id,
          billing_cycle: a.cycle,
          currency: shownCurrency,
          ...(trialAvailable ? { trial_days: trial ? TRIAL_DAYS : 0 } : {}),
          ...located,
          ...promo,
        };
        await api.call('createSubscription', { body, idempotencyKey: keyFor(body) });
        setSavedCustomer(null);
        setDone(`Subscribed to ${a.plan.name} (${a.cycle}).${payment.card ? '' : trialAvailable && trial ? ' Add a card before the trial ends.' : ' Add a card to pay the first invoice.'}`);
      } else if (a.kind === 'change') {
        const body = { plan_id: a.plan.id, billing_cycle: a.cycle, ...promo };
        const { change } = await api.call('updateSubscription', { body, idempotencyKey: keyFor(body) });
        setDone(
          change.kind === 'upgrade'
            ? `Upgraded to ${a.plan.name}. ${upgradeCharged(change, shownCurrency)}`
            : change.kind === 'downgrade'
              ? `${a.plan.name} starts on ${formatDate(change.effective_at ?? live?.current_period_end ?? '')}.`
              : `You stay on ${a.plan.name}; no change is scheduled.`,
        );
      } else if (a.kind === 'cancel') {
        const { subscription } = await api.call('cancelSubscription', { body: {}, idempotencyKey: keyFor({}) });
        setDone(`Canceled. Access continues until ${formatDate(subscription.current_period_end)}.`);
      } else {
        const body = { cancel_at_period_end: false };
        await api.call('updateSubscription', { body, idempotencyKey: keyFor(body) });
        setDone('Your subscription continues; nothing was canceled.');
      }
      setAction(null);
      reload();
    } catch (error) {
      setFailure(error instanceof Error ? error : new Error(String(error)));
      const codeIssue = fieldIssuesOf(error).find((issue) => issue.field === 'promotion_code');
      if (codeIssue) setPromoError(codeIssue.message);
      if (a.kind === 'subscribe') {
        // Stripe Tax could not place the tenant with what it has: the fields say why.
        const found = fieldErrors(fieldIssuesOf(error));
        const placement = Object.fromEntries(Object.entries(found).filter(([k]) => k === 'country' || k === 'postal_code'));
        if (Object.keys(placement).length > 0) {
          setLocationRefused(true);
          setLocationErrors(placement);
          focusFirstError(placement, LOCATION_FIELDS);
        }
      }
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
          {live.discount ? <p data-testid="subscription-discount">{discountText(live.discount, live.currency)}</p> : null}
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

      <BillingDetailsCard customer={customer} onSaved={setSavedCustomer} />

      {action ? (
        <section className="card confirm" aria-labelledby="confirm-heading" aria-live="polite">
          <h2 id="confirm-heading" ref={confirmHeading} tabIndex={-1}>
            {confirmTitle(action.action)}
          </h2>
          <ConfirmText action={action.action} subscription={live} currentPlan={currentPlan} currency={shownCurrency} trial={trialAvailable && trial} hasCard={payment.card !== null} />
          {action.action.kind === 'subscribe' && askLocation ? (
            <TaxLocationFields value={location} errors={locationErrors} onChange={setLocation} />
          ) : null}
          {action.action.kind === 'subscribe' || action.action.kind === 'change' ? (
            <Field id="sub-promotion-code" label="Promotion code (optional)" hint="Applies from the next invoice." error={promoError}>
              {(control) => (
                <input
                  {...control}
                  type="text"
                  autoComplete="off"
                  spellCheck={false}
                  maxLength={40}
                  value={promoCode}
                  onChange={(e) => setPromoCode(e.target.value.toUpperCase())}
                />
              )}
            </Field>
          ) : null}
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
            <p className="muted">Prices in {currencyLabel(shownCurrency)}, your account's currency, excluding tax.</p>
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
          {!live && !previous ? <p className="muted">Prices exclude tax.</p> : null}
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
          plus any usage over the plan's quotas. Prices exclude tax: Stripe Tax adds the tax of your country (VAT, GST, sales tax) to each
          invoice.
        </p>
        <p>
          {trial
            ? `Free for ${TRIAL_DAYS} days; the first charge of ${formatMoney(price, currency)} is at the end of the trial, plus tax. Cancel before then and you pay nothing.`
            : `You are charged ${formatMoney(price, currency)} plus tax now.`}
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
  const [exact, setExact] = useState<SubscriptionChange | null>(null);
  useEffect(() => {
    let current = true;
    api
      .call('previewSubscriptionChange', { body: { plan_id: plan.id, billing_cycle: cycle } })
      .then(({ change }) => {
        if (current) setExact(change);
      })
      .catch(() => undefined); // the estimate stays on screen
    return () => {
      current = false;
    };
  }, [api, plan.id, cycle]);
  if (exact !== null) {
    const tax = exact.tax_amount ?? 0;
    return (
      <>
        <p>
          Charged now: <strong data-testid="proration-amount">{formatMoney(exact.proration_amount, currency)}</strong> ({explanation}; Stripe's
          preview of the invoice).
        </p>
        <dl className="facts charge-breakdown" data-testid="proration-breakdown">
          <dt>Plan change</dt>
          <dd className="num">{formatMoney(exact.proration_amount, currency)}</dd>
          <dt>Tax</dt>
          <dd className="num" data-testid="proration-tax">
            {formatMoney(tax, currency)}
          </dd>
          <dt>Total now</dt>
          <dd className="num" data-testid="proration-total">
            <strong>{formatMoney(exact.proration_amount + tax, currency)}</strong>
          </dd>
        </dl>
        <p className="muted small">Usage over the plan's quotas so far is billed on the same invoice, with its tax.</p>
      </>
    );
  }
  return (
    <p>
      Charged now: about <strong data-testid="proration-estimate">{formatMoney(estimate, currency)}</strong> plus tax where applicable (estimate:{' '}
      {explanation}). The invoice states the exact amount.
    </p>
  );
};

/** Country and postal code for Stripe Tax, asked for before the first subscription when the API has no country. */
const TaxLocationFields = ({ value, errors, onChange }: { value: TaxLocation; errors: FieldErrors; onChange: (value: TaxLocation) => void }) => (
  <fieldset className="form-section" data-testid="tax-location">
    <legend>Where you are billed</legend>
    <p className="field-hint">Stripe Tax needs your country to put the right tax on your invoices; it is saved with your billing details.</p>
    <div className="form-grid">
      <Field id="sub-country" label="Country" error={errors.country}>
        {(control) => <CountrySelect control={control} value={value.country} required onChange={(country) => onChange({ ...value, country })} />}
      </Field>
      <Field id="sub-postal-code" label="Postal or ZIP code" hint="Needed in the US and Canada." error={errors.postal_code}>
        {(control) => (
          <input {...control} type="text" autoComplete="postal-code" value={value.postal_code} onChange={(e) => onChange({ ...value, postal_code: e.target.value })} />
        )}
      </Field>
    </div>
  </fieldset>
);
