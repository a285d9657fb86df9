import { useEffect, useRef, useState, type FormEvent } from 'react';
import { ApiError, fieldIssuesOf, type ApiClient } from '../api/client';
import type { TenantPicture } from '../api/types';
import {
  ACTION_FIELDS,
  actionErrors,
  actionRequest,
  attemptFor,
  balanceText,
  confirmQuestion,
  CURRENCIES,
  formError,
  invoiceLabel,
  keepKeyAfter,
  leftToPay,
  openInvoices,
  refundableInvoices,
  refundDefault,
  refundedSoFar,
  tenantName,
  trialDefaultDay,
  utcDay,
  type ActionErrors,
  type ActionForm,
  type ActionKind,
  type ActionRequest,
  type Attempt,
} from '../admin';
import { useApp } from '../context';
import { currencyDigits, currencyLabel, decimalSeparator, formatDate, formatMoney, minorToDecimal } from '../format';
import { Field, focusFirstError } from './form';
import { ErrorNotice, Notice } from './status';

const TITLES: Readonly<Record<ActionKind, string>> = {
  credit: 'Grant a credit',
  refund: 'Refund a paid invoice',
  trial: 'Extend the trial',
  retry: 'Retry a payment',
};
const REVIEW: Readonly<Record<ActionKind, string>> = {
  credit: 'Review credit',
  refund: 'Review refund',
  trial: 'Review extension',
  retry: 'Review retry',
};

const fieldId = (kind: ActionKind, field: string) => `act-${kind}-${field}`;

/** The order errors are focused in, as [error key, element id]. */
const errorOrder = (kind: ActionKind): [string, string][] =>
  ACTION_FIELDS[kind].map((f): [string, string] => [f, fieldId(kind, f === 'trial_end' ? 'date' : f)]);

/** What the form starts with: the first invoice each action can use, the refund's amount, a week more of trial. */
const initialForm = (kind: ActionKind, picture: TenantPicture): ActionForm => {
  const refundable = refundableInvoices(picture.invoices)[0];
  const trialEnd = picture.subscription?.trial_end;
  return {
    amount: kind === 'refund' && refundable ? minorToDecimal(refundDefault(refundable, picture.events), currencyDigits(refundable.currency)) : '',
    currency: picture.tenant.currency ?? '',
    invoice_id: kind === 'refund' ? (refundable?.id ?? '') : kind === 'retry' ? (openInvoices(picture.invoices)[0]?.id ?? '') : '',
    date: kind === 'trial' && trialEnd ? trialDefaultDay(trialEnd) : '',
    reason: '',
  };
};

/**
 * Sends a confirmed action with its `Idempotency-Key` (one per confirmed action, reused only to
 * resend the same one); the success message says what the API did.
 */
const send = async (api: ApiClient, tenantId: string, request: ActionRequest, key: string, name: string): Promise<string> => {
  const params = { id: tenantId };
  switch (request.kind) {
    case 'credit': {
      const { credit } = await api.call('creditTenant', { params, body: request.body, idempotencyKey: key });
      return `Credited ${formatMoney(credit.amount, credit.currency)} to ${name}. Customer balance: ${balanceText(credit.ending_balance, credit.currency)}.`;
    }
    case 'refund': {
      const { refund } = await api.call('refundTenant', { params, body: request.body, idempotencyKey: key });
      return `Refunded ${formatMoney(refund.amount, refund.currency)} of invoice ${invoiceLabel(request.invoice)} (credit note ${refund.credit_note_id}).`;
    }
    case 'trial': {
      const answer = await api.call('extendTrial', { params, body: request.body, idempotencyKey: key });
      // The contract allows a null trial end; the one asked for is what the API accepted.
      return `Trial extended: it now ends on ${formatDate(answer.trial_end ?? request.body.trial_end)}.`;
    }
    case 'retry': {
      const { invoice } = await api.call('retryPayment', { params, body: request.body, idempotencyKey: key });
      return invoice.status === 'paid' ? `Invoice ${invoiceLabel(request.invoice)} is paid.` : `Invoice ${invoiceLabel(request.invoice)} is ${invoice.status}.`;
    }
  }
};

/**
 * What an operator does for the tenant: a credit, a refund, a longer trial, a payment retried
 * now. Each is a small form asking for a reason; "Review" shows the sentence to confirm (amount
 * and reason) and only "Confirm" sends it, with one `Idempotency-Key` per confirmed action.
 * After it is done, `onDone` reloads the tenant's picture.
 */
export const TenantActions = ({ picture, onDone }: { picture: TenantPicture; onDone: () => void }) => {
  const [kind, setKind] = useState<ActionKind | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const buttons = useRef(new Map<ActionKind, HTMLButtonElement>());
  const trialing = picture.subscription?.status === 'trialing' && picture.subscription.trial_end !== null;
  const available: { kind: ActionKind; label: string; shown: boolean; why: string }[] = [
    { kind: 'credit', label: 'Grant credit', shown: picture.stripe_customer_id !== null, why: 'no Stripe customer yet' },
    { kind: 'refund', label: 'Refund', shown: refundableInvoices(picture.invoices).length > 0, why: 'no paid invoice' },
    { kind: 'trial', label: 'Extend trial', shown: trialing, why: 'not trialing' },
    { kind: 'retry', label: 'Retry payment', shown: openInvoices(picture.invoices).length > 0, why: 'no open invoice' },
  ];
  const unavailable = available.filter((a) => !a.shown);

  const open = (next: ActionKind) => {
    setKind(next);
    setDone(null);
  };
  const close = (which: ActionKind) => {
    setKind(null);
    requestAnimationFrame(() => buttons.current.get(which)?.focus());
  };

  return (
    <section className="card" aria-labelledby="at-actions" data-testid="tenant-actions">
      <h3 id="at-actions">Actions</h3>
      <div className="actions action-buttons">
        {available
          .filter((a) => a.shown)
          .map((a) => (
            <button
              key={a.kind}
              ref={(el) => {
                if (el) buttons.current.set(a.kind, el);
                else buttons.current.delete(a.kind);
              }}
              type="button"
              className={kind === a.kind ? '' : 'button-secondary'}
              aria-expanded={kind === a.kind}
              aria-controls={kind === a.kind ? `act-${a.kind}` : undefined}
              onClick={() => (kind === a.kind ? close(a.kind) : open(a.kind))}
            >
              {a.label}
            </button>
          ))}
      </div>
      {unavailable.length > 0 ? (
        <p className="muted small">{unavailable.map((a) => `${a.label}: ${a.why}`).join('. ')}.</p>
      ) : null}
      {done ? (
        <div data-testid="action-done">
          <Notice kind="success">{done}</Notice>
        </div>
      ) : null}
      {kind ? (
        <ActionFormCard
          key={kind}
          kind={kind}
          picture={picture}
          onCancel={() => close(kind)}
          onRecorded={onDone}
          onDone={(message) => {
            setDone(message);
            close(kind);
            onDone();
          }}
        />
      ) : null}
    </section>
  );
};

const ActionFormCard = ({
  kind,
  picture,
  onCancel,
  onRecorded,
  onDone,
}: {
  kind: ActionKind;
  picture: TenantPicture;
  onCancel: () => void;
  /** A refusal that still changed the picture (a declined retry is recorded): reload it, the form stays. */
  onRecorded: () => void;
  onDone: (message: string) => void;
}) => {
  const { api } = useApp();
  const tenant = picture.tenant;
  const name = tenantName(tenant);
  const [form, setForm] = useState<ActionForm>(() => initialForm(kind, picture));
  const [errors, setErrors] = useState<ActionErrors>({});
  const [confirming, setConfirming] = useState<ActionRequest | null>(null);
  const [busy, setBusy] = useState(false);
  const attempt = useRef<Attempt | null>(null);
  const question = useRef<HTMLParagraphElement>(null);
  /** Errors the API named, focused once the fields they sit beside are rendered again. */
  const focusAfterRender = useRef<Record<string, string> | null>(null);

  useEffect(() => {
    requestAnimationFrame(() => document.getElementById(fieldId(kind, ACTION_FIELDS[kind][0] === 'trial_end' ? 'date' : (ACTION_FIELDS[kind][0] ?? 'reason')))?.focus());
  }, [kind]);
  useEffect(() => {
    if (confirming) question.current?.focus();
  }, [confirming]);
  useEffect(() => {
    if (!focusAfterRender.current) return;
    focusFirstError(focusAfterRender.current, errorOrder(kind));
    focusAfterRender.current = null;
  }, [errors, kind]);

  const ctx = { tenant, subscription: picture.subscription, invoices: picture.invoices, decimal: decimalSeparator };
  const refundable = refundableInvoices(picture.invoices);
  const open = openInvoices(picture.invoices);
  const chosenRefund = refundable.find((i) => i.id === form.invoice_id);
  const creditCurrency = tenant.currency ?? (form.currency || null);
  const amountCurrency = kind === 'refund' ? (chosenRefund?.currency ?? tenant.currency) : creditCurrency;

  const set = (field: keyof ActionForm, value: string) => setForm((f) => ({ ...f, [field]: value }));

  const review = (event: FormEvent) => {
    event.preventDefault();
    if (busy) return;
    const checked = actionRequest(kind, form, ctx);
    if (!checked.ok) {
      setErrors(checked.errors);
      setConfirming(null);
      focusFirstError(checked.errors as Record<string, string>, errorOrder(kind));
      return;
    }
    setErrors({});
    setConfirming(checked.request);
  };

  const change = () => {
    setConfirming(null);
    setErrors({});
    requestAnimationFrame(() => document.getElementById(fieldId(kind, 'reason'))?.focus());
  };

  const confirm = async () => {
    if (!confirming || busy) return;
    const what = JSON.stringify([tenant.tenant_id, confirming.kind, confirming.body]);
    attempt.current = attemptFor(attempt.current, what, () => crypto.randomUUID());
    setBusy(true);
    setErrors({});
    try {
      const message = await send(api, tenant.tenant_id, confirming, attempt.current.key, name);
      attempt.current = null;
      onDone(message);
    } catch (error) {
      if (!keepKeyAfter(error)) attempt.current = null;
      const issues = fieldIssuesOf(error);
      const found = actionErrors(issues, kind === 'credit' && tenant.currency ? ['amount', 'reason'] : ACTION_FIELDS[kind], amountCurrency ?? 'usd');
      const onFields = Object.keys(found).some((k) => k !== 'form');
      if (onFields) {
        // Back to the fields, each with what the API said about it.
        setConfirming(null);
        setErrors(found);
        focusAfterRender.current = found as Record<string, string>;
      } else {
        setErrors({ form: issues.length > 0 ? (found.form ?? formError(error)) : formError(error) });
        if (error instanceof ApiError && error.status === 402) onRecorded();
      }
    } finally {
      setBusy(false);
    }
  };

  const locked = confirming !== null || busy;
  const headingId = `act-${kind}-heading`;

  return (
    <form id={`act-${kind}`} className="action-form" onSubmit={review} noValidate aria-labelledby={headingId} data-testid={`action-${kind}`}>
      <h4 id={headingId}>{TITLES[kind]}</h4>

      {kind === 'refund' || kind === 'retry' ? (
        <Field
          id={fieldId(kind, 'invoice_id')}
          label={kind === 'refund' ? 'Paid invoice' : 'Open invoice'}
          error={errors.invoice_id}
          hint={
            kind === 'refund' && chosenRefund && refundedSoFar(chosenRefund.id, picture.events) > 0
              ? `Already refunded from this page: ${formatMoney(refundedSoFar(chosenRefund.id, picture.events), chosenRefund.currency)}.`
              : kind === 'retry'
                ? 'Charged now to the card the tenant has on file; a decline is recorded too.'
                : undefined
          }
        >
          {(control) => (
            <select
              {...control}
              value={form.invoice_id}
              disabled={locked}
              onChange={(e) => {
                const id = e.target.value;
                const invoice = refundable.find((i) => i.id === id);
                setForm((f) => ({
                  ...f,
                  invoice_id: id,
                  ...(kind === 'refund' && invoice ? { amount: minorToDecimal(refundDefault(invoice, picture.events), currencyDigits(invoice.currency)) } : {}),
                }));
              }}
            >
              {(kind === 'refund' ? refundable : open).map((i) => (
                <option key={i.id} value={i.id}>
                  {kind === 'refund'
                    ? `${invoiceLabel(i)}: ${formatMoney(i.amount_paid, i.currency)} paid, ${formatDate(i.created_at)}`
                    : `${invoiceLabel(i)}: ${formatMoney(leftToPay(i), i.currency)} due, ${formatDate(i.created_at)}`}
                </option>
              ))}
            </select>
          )}
        </Field>
      ) : null}

      {kind === 'credit' && !tenant.currency ? (
        <Field id={fieldId(kind, 'currency')} label="Currency" error={errors.currency}>
          {(control) => (
            <select {...control} value={form.currency} disabled={locked} onChange={(e) => set('currency', e.target.value)}>
              <option value="">Choose a currency</option>
              {CURRENCIES.map((c) => (
                <option key={c} value={c}>
                  {currencyLabel(c)}
                </option>
              ))}
            </select>
          )}
        </Field>
      ) : null}

      {kind === 'credit' || kind === 'refund' ? (
        <Field
          id={fieldId(kind, 'amount')}
          label={`Amount${amountCurrency ? ` (${currencyLabel(amountCurrency)})` : ''}`}
          hint={
            kind === 'credit'
              ? `Credit to the customer balance; the next invoices use it first. For example 25 or 25${decimalSeparator}00.`
              : chosenRefund
                ? `At most ${formatMoney(chosenRefund.amount_paid, chosenRefund.currency)}, what was paid, less what was refunded before.`
                : undefined
          }
          error={errors.amount}
        >
          {(control) => (
            <input
              {...control}
              type="text"
              inputMode="decimal"
              autoComplete="off"
              spellCheck={false}
              value={form.amount}
              disabled={locked}
              onChange={(e) => set('amount', e.target.value)}
            />
          )}
        </Field>
      ) : null}

      {kind === 'trial' && picture.subscription?.trial_end ? (
        <Field
          id={fieldId(kind, 'date')}
          label="New trial end (UTC)"
          hint={`The trial ends on ${formatDate(picture.subscription.trial_end)} now. At most 30 days from today, and once a week at most.`}
          error={errors.trial_end}
        >
          {(control) => (
            <input
              {...control}
              type="date"
              value={form.date}
              min={utcDay(new Date(Date.parse(picture.subscription?.trial_end ?? '') + 86_400_000).toISOString())}
              disabled={locked}
              onChange={(e) => set('date', e.target.value)}
            />
          )}
        </Field>
      ) : null}

      <Field
        id={fieldId(kind, 'reason')}
        label={kind === 'retry' ? 'Reason (optional)' : 'Reason'}
        hint="Kept in the tenant’s audit trail with your user id."
        error={errors.reason}
      >
        {(control) => <textarea {...control} rows={2} value={form.reason} disabled={locked} onChange={(e) => set('reason', e.target.value)} />}
      </Field>

      {confirming ? (
        <div className="confirm-box" data-testid="action-confirm">
          <p ref={question} tabIndex={-1} className="confirm-question" data-testid="action-question">
            {confirmQuestion(confirming, name)}
          </p>
          {errors.form ? <ErrorNotice error={new Error(errors.form)} title="Not done" /> : null}
          <div className="actions">
            <button type="button" onClick={() => void confirm()} disabled={busy} aria-busy={busy}>
              {busy ? 'Sending…' : 'Confirm'}
            </button>
            <button type="button" className="button-secondary" onClick={change} disabled={busy}>
              Change
            </button>
          </div>
        </div>
      ) : (
        <>
          {errors.form ? <ErrorNotice error={new Error(errors.form)} title="Not done" /> : null}
          <div className="actions">
            <button type="submit">{REVIEW[kind]}</button>
            <button type="button" className="button-secondary" onClick={onCancel}>
              Cancel
            </button>
          </div>
        </>
      )}
    </form>
  );
};
