import { useRef, useState, type FormEvent } from 'react';
import { fieldIssuesOf } from '../api/client';
import type { Currency, Entitlements, SpendCapInput } from '../api/types';
import { useApp } from '../context';
import { parseMajorUnits, spendCapErrors, spendTone, type SpendCapErrors } from '../entitlements';
import { currencyDigits, currencyLabel, decimalSeparator, formatDate, formatMoney, formatNumber, minorToDecimal } from '../format';
import { Field, focusFirstError } from './form';
import { ErrorNotice, Notice } from './status';

const INPUT_ID = 'spend-cap-input';

const currencyNames: Readonly<Record<Currency, string>> = { usd: 'US dollars', eur: 'euros', gbp: 'pounds sterling' };

/**
 * The spend cap: the most overage (usage past the plan's quotas) one period may bill, this
 * period's overage against it, and a form to set, change or remove it. The amount is typed in
 * the billing currency's major units and sent as integer minor units; the API's errors show
 * beside the field. After a save the card shows the API's answer (`onSaved`).
 */
export const SpendCapCard = ({
  entitlements,
  currency,
  onSaved,
}: {
  entitlements: Entitlements;
  currency: Currency;
  onSaved: (entitlements: Entitlements) => void;
}) => {
  const { api } = useApp();
  const cap = entitlements.spend_cap;
  const digits = currencyDigits(currency);
  const [text, setText] = useState<string | null>(null);
  const [errors, setErrors] = useState<SpendCapErrors>({});
  const [failure, setFailure] = useState<Error | null>(null);
  const [busy, setBusy] = useState<'save' | 'remove' | null>(null);
  const [done, setDone] = useState<string | null>(null);
  // One Idempotency-Key per body: a resubmit of the same cap (after a lost answer) reuses it.
  const attempt = useRef<{ body: string; key: string } | null>(null);
  const editButton = useRef<HTMLButtonElement>(null);

  const edit = () => {
    setText(cap ? minorToDecimal(cap.amount, digits) : '');
    setErrors({});
    setFailure(null);
    setDone(null);
    requestAnimationFrame(() => document.getElementById(INPUT_ID)?.focus());
  };
  const close = () => {
    setText(null);
    setErrors({});
    setFailure(null);
    requestAnimationFrame(() => editButton.current?.focus());
  };

  const send = async (body: SpendCapInput, which: 'save' | 'remove') => {
    const json = JSON.stringify(body);
    if (attempt.current?.body !== json) attempt.current = { body: json, key: crypto.randomUUID() };
    setBusy(which);
    setErrors({});
    setFailure(null);
    try {
      const answer = await api.call('setSpendCap', { body, idempotencyKey: attempt.current.key });
      attempt.current = null;
      onSaved(answer.entitlements);
      setDone(answer.spend_cap ? `Spend cap set to ${formatMoney(answer.spend_cap.amount, answer.spend_cap.currency)}.` : 'Spend cap removed.');
      close();
    } catch (error) {
      const found = spendCapErrors(fieldIssuesOf(error), currency);
      setErrors(found);
      setFailure(error instanceof Error ? error : new Error(String(error)));
      focusFirstError({ ...found }, [['amount', INPUT_ID]]);
    } finally {
      setBusy(null);
    }
  };

  const save = (event: FormEvent) => {
    event.preventDefault();
    if (text === null || busy) return;
    const parsed = parseMajorUnits(text, digits, decimalSeparator);
    if (!parsed.ok) {
      setErrors({ amount: parsed.message });
      setFailure(null);
      focusFirstError({ amount: parsed.message }, [['amount', INPUT_ID]]);
      return;
    }
    void send({ amount: parsed.minor, currency }, 'save');
  };

  const tone = cap ? spendTone(cap) : 'normal';
  const periodEnd = entitlements.period ? formatDate(entitlements.period.end) : null;
  const summary = cap ? `${formatMoney(cap.spent, cap.currency)} of ${formatMoney(cap.amount, cap.currency)} (${formatNumber(cap.percent_used)}%)` : '';

  return (
    <section className="card" aria-labelledby="dash-spend-cap" data-testid="spend-cap">
      <div className="card-head">
        <h2 id="dash-spend-cap">Spend cap</h2>
        {text === null ? (
          <button ref={editButton} type="button" className="button-secondary" onClick={edit}>
            {cap ? (
              <>
                Change<span className="visually-hidden"> spend cap</span>
              </>
            ) : (
              'Set a spend cap'
            )}
          </button>
        ) : null}
      </div>
      {done && text === null ? <Notice kind="success">{done}</Notice> : null}
      {cap ? (
        <>
          <p className="big" data-testid="spend-cap-amount">
            {formatMoney(cap.amount, cap.currency)} <span className="muted small spend-cap-per">of overage per period</span>
          </p>
          <div className={`usage usage-${tone}`}>
            <div className="usage-head">
              <span id="spend-cap-spent-label" className="usage-name">
                Overage this period
              </span>
              <span className="usage-figures" data-testid="spend-cap-spent">
                {summary}
              </span>
            </div>
            <div
              className="bar"
              role="meter"
              aria-labelledby="spend-cap-spent-label"
              aria-valuemin={0}
              aria-valuemax={100}
              aria-valuenow={Math.min(100, cap.percent_used)}
              aria-valuetext={summary}
            >
              <div className="bar-fill" style={{ width: `${Math.min(100, cap.percent_used)}%` }} />
            </div>
          </div>
          {cap.reached ? (
            <p className="usage-over" data-testid="spend-cap-reached">
              Spend cap reached: metered usage is not allowed{periodEnd ? ` until the period ends on ${periodEnd}` : ''}, or until you raise the cap.
            </p>
          ) : tone === 'warn' ? (
            <p className="usage-near" data-testid="spend-cap-near">
              Near the spend cap: 80% or more of it is used.
            </p>
          ) : null}
        </>
      ) : (
        <>
          <p className="big" data-testid="spend-cap-amount">
            No cap
          </p>
          <p className="muted small">
            Overage, the usage past your plan's quotas, is billed at the end of each period whatever it comes to. A cap stops metered usage once
            the period's overage reaches it.
          </p>
        </>
      )}
      {text !== null ? (
        <form className="spend-cap-form" onSubmit={save} noValidate aria-labelledby="dash-spend-cap">
          <Field
            id={INPUT_ID}
            label={`Maximum overage per period (${currencyLabel(currency)})`}
            hint={`In ${currencyNames[currency] ?? currencyLabel(currency)}, for example 50 or 1${decimalSeparator === '.' ? ',' : '.'}250${decimalSeparator}00. 0 allows no overage at all.`}
            error={errors.amount}
          >
            {(control) => (
              <input
                {...control}
                type="text"
                inputMode="decimal"
                autoComplete="off"
                spellCheck={false}
                value={text}
                onChange={(e) => setText(e.target.value)}
              />
            )}
          </Field>
          {failure ? (
            <ErrorNotice error={errors.amount ? new Error('check the amount.') : errors.form ? new Error(errors.form) : failure} title="Not saved" />
          ) : null}
          <div className="actions">
            <button type="submit" disabled={busy !== null} aria-busy={busy === 'save'}>
              {busy === 'save' ? 'Saving…' : 'Save cap'}
            </button>
            {cap ? (
              <button type="button" className="button-danger" onClick={() => void send({ amount: null }, 'remove')} disabled={busy !== null} aria-busy={busy === 'remove'}>
                {busy === 'remove' ? 'Removing…' : 'Remove cap'}
              </button>
            ) : null}
            <button type="button" className="button-secondary" onClick={close} disabled={busy !== null}>
              Cancel
            </button>
          </div>
        </form>
      ) : null}
    </section>
  );
};
