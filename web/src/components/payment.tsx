import { useState } from 'react';
import type { Subscription } from '../api/types';
import { useApp } from '../context';
import { formatDate, formatMoney } from '../format';
import { openBillingPortal, startCardSetup, type PaymentState } from '../payments';
import { ErrorNotice } from './status';

/**
 * Sends the browser to one of Stripe's pages (Checkout to add a card, the billing portal);
 * keeps the button busy until the browser leaves, and shows why when the API refuses.
 */
const useStripeRedirect = () => {
  const { api } = useApp();
  const [busy, setBusy] = useState<'card' | 'portal' | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const go = (which: 'card' | 'portal') => {
    setBusy(which);
    setError(null);
    (which === 'card' ? startCardSetup(api) : openBillingPortal(api)).catch((e: unknown) => {
      setError(e instanceof Error ? e : new Error(String(e)));
      setBusy(null);
    });
  };
  return { busy, error, addCard: () => go('card'), manage: () => go('portal') };
};

/** "Add card" / "Update card": opens Stripe Checkout in setup mode. */
const CardButton = ({ hasCard, secondary = false }: { hasCard: boolean; secondary?: boolean }) => {
  const { busy, error, addCard } = useStripeRedirect();
  return (
    <>
      <button type="button" className={secondary ? 'button-secondary' : ''} onClick={addCard} disabled={busy !== null} aria-busy={busy === 'card'}>
        {busy === 'card' ? 'Opening Stripe…' : hasCard ? 'Update card' : 'Add card'}
      </button>
      {error ? <ErrorNotice error={error} title="Could not open Stripe" /> : null}
    </>
  );
};

/** The card Stripe charges, with the ways to change it. */
export const PaymentMethodCard = ({ payment }: { payment: PaymentState }) => {
  const { busy, error, addCard, manage } = useStripeRedirect();
  const { card } = payment;
  return (
    <section className="card" aria-labelledby="payment-method">
      <h2 id="payment-method">Payment method</h2>
      {card ? (
        <p className="big" data-testid="card" aria-label={`${card.brand} card ending ${card.last4}, expires ${card.exp_month}/${card.exp_year}`}>
          <span className="card-brand">{card.brand}</span> •••• {card.last4}
          <span className="muted small card-expiry">
            {' '}
            expires {String(card.exp_month).padStart(2, '0')}/{card.exp_year}
          </span>
        </p>
      ) : (
        <p data-testid="card">No card yet. Cards are collected by Stripe; we never see the card number.</p>
      )}
      <div className="actions">
        <button type="button" onClick={addCard} disabled={busy !== null} aria-busy={busy === 'card'}>
          {busy === 'card' ? 'Opening Stripe…' : card ? 'Update card' : 'Add card'}
        </button>
        <button type="button" className="button-secondary" onClick={manage} disabled={busy !== null} aria-busy={busy === 'portal'}>
          {busy === 'portal' ? 'Opening Stripe…' : 'Manage billing'}
        </button>
      </div>
      {error ? <ErrorNotice error={error} title="Could not open Stripe" /> : null}
    </section>
  );
};

/**
 * What needs the tenant now, most urgent first: a payment to confirm (3-D Secure), a failed
 * payment, a trial that will end without a card.
 */
export const PaymentBanners = ({ subscription, payment }: { subscription: Subscription | null; payment: PaymentState }) => {
  const { awaiting, card } = payment;
  const banners = [];
  if (awaiting) {
    banners.push(
      <div key="confirm" className="notice notice-error banner" role="alert" data-testid="banner-confirm">
        <p>
          <strong>Confirm your payment.</strong> Your bank asks you to confirm the payment of {formatMoney(awaiting.total, awaiting.currency)}{' '}
          for invoice {awaiting.label}; until then it is not paid.
        </p>
        <p>
          <a href={awaiting.url} className="banner-link">
            Confirm your payment<span className="visually-hidden"> of invoice {awaiting.label}</span>
          </a>
        </p>
      </div>,
    );
  } else if (subscription && ['past_due', 'unpaid', 'incomplete'].includes(subscription.status)) {
    banners.push(
      <div key="failed" className="notice notice-error banner" role="alert" data-testid="banner-past-due">
        <p>
          <strong>{subscription.status === 'incomplete' ? 'Your first payment is not done.' : 'A payment failed.'}</strong>{' '}
          {card ? 'Update your card' : 'Add a card'} and the open invoice is paid with it at once; otherwise Stripe retries it.
        </p>
        <div className="actions">
          <CardButton hasCard={card !== null} />
        </div>
      </div>,
    );
  }
  if (subscription?.status === 'trialing' && subscription.trial_end && !card && !subscription.cancel_at_period_end) {
    banners.push(
      <div key="trial" className="notice notice-warning banner" role="status" data-testid="banner-trial">
        <p>
          <strong>Add a card before {formatDate(subscription.trial_end)}.</strong> Without one, your subscription ends with the free trial.
        </p>
        <div className="actions">
          <CardButton hasCard={false} />
        </div>
      </div>,
    );
  }
  return banners.length > 0 ? <div className="banners card-wide">{banners}</div> : null;
};
