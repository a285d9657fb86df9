import { useRef, useState, type FormEvent } from 'react';
import type { Customer, TaxIdType } from '../api/types';
import { fieldIssuesOf } from '../api/client';
import { useApp } from '../context';
import {
  addressLines,
  bodyFrom,
  fieldErrors,
  formFrom,
  likelyTaxIdType,
  locationProblems,
  newTaxIdRow,
  TAX_ID_TYPES,
  taxIdExample,
  taxIdLabels,
  type DetailsForm,
  type FieldErrors,
  type TaxIdRow,
} from '../customer';
import { CountrySelect, Field, focusFirstError } from './form';
import { ErrorNotice, Notice } from './status';

/** Stripe takes up to this many tax IDs per customer on our account (the API's limit). */
const MAX_TAX_IDS = 5;

type TextField = 'name' | 'email' | 'line1' | 'line2' | 'city' | 'postal_code' | 'state';

/**
 * The tenant's billing details (name, email, address, tax IDs) as Stripe puts them on
 * invoices, with a form to change them. The API's field errors show beside the fields.
 */
export const BillingDetailsCard = ({ customer, onSaved }: { customer: Customer; onSaved: (customer: Customer) => void }) => {
  const { api } = useApp();
  const [form, setForm] = useState<DetailsForm | null>(null);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);
  // One Idempotency-Key per body: a resubmit of the same details (after a lost answer) reuses it.
  const attempt = useRef<{ body: string; key: string } | null>(null);
  const editButton = useRef<HTMLButtonElement>(null);
  const addButton = useRef<HTMLButtonElement>(null);

  const edit = () => {
    setForm(formFrom(customer));
    setErrors({});
    setFailure(null);
    setSaved(false);
    requestAnimationFrame(() => document.getElementById('bd-name')?.focus());
  };
  const close = () => {
    setForm(null);
    setErrors({});
    setFailure(null);
    requestAnimationFrame(() => editButton.current?.focus());
  };

  const errorOrder = (f: DetailsForm): [string, string][] => [
    ['name', 'bd-name'],
    ['email', 'bd-email'],
    ...(['line1', 'line2', 'city', 'postal_code', 'state', 'country'] as const).map((k): [string, string] => [k, `bd-${k}`]),
    ...f.tax_ids.flatMap((row): [string, string][] => [
      [`tax:${row.key}:type`, `bd-${row.key}-type`],
      [`tax:${row.key}:value`, `bd-${row.key}-value`],
    ]),
  ];

  const save = async (event: FormEvent) => {
    event.preventDefault();
    if (!form || busy) return;
    const problems = locationProblems(form);
    if (Object.keys(problems).length > 0) {
      setErrors(problems);
      setFailure(null);
      focusFirstError(problems, errorOrder(form));
      return;
    }
    const { body, sentRows } = bodyFrom(form);
    const json = JSON.stringify(body);
    if (attempt.current?.body !== json) attempt.current = { body: json, key: crypto.randomUUID() };
    setBusy(true);
    setErrors({});
    setFailure(null);
    try {
      const answer = await api.call('saveBillingDetails', { body, idempotencyKey: attempt.current.key });
      attempt.current = null;
      onSaved(answer.customer);
      setSaved(true);
      close();
    } catch (error) {
      const found = fieldErrors(fieldIssuesOf(error), sentRows);
      setErrors(found);
      setFailure(error instanceof Error ? error : new Error(String(error)));
      focusFirstError(found, errorOrder(form));
    } finally {
      setBusy(false);
    }
  };

  const set = (field: TextField | 'country', value: string) => setForm((f) => (f ? { ...f, [field]: value } : f));
  const setRow = (key: string, change: Partial<Omit<TaxIdRow, 'key'>>) =>
    setForm((f) => (f ? { ...f, tax_ids: f.tax_ids.map((r) => (r.key === key ? { ...r, ...change } : r)) } : f));
  const addRow = () => {
    if (!form) return;
    const row = newTaxIdRow(likelyTaxIdType(form.country));
    setForm({ ...form, tax_ids: [...form.tax_ids, row] });
    requestAnimationFrame(() => document.getElementById(`bd-${row.key}-value`)?.focus());
  };
  const removeRow = (key: string) => {
    setForm((f) => (f ? { ...f, tax_ids: f.tax_ids.filter((r) => r.key !== key) } : f));
    requestAnimationFrame(() => addButton.current?.focus());
  };

  const text = (field: TextField, label: string, autoComplete: string, options: { type?: 'text' | 'email'; hint?: string; wide?: boolean } = {}) =>
    form ? (
      <Field id={`bd-${field}`} label={label} hint={options.hint} error={errors[field]} className={options.wide ? 'field-wide' : ''}>
        {(control) => (
          <input
            {...control}
            type={options.type ?? 'text'}
            value={form[field]}
            autoComplete={autoComplete}
            onChange={(e) => set(field, e.target.value)}
          />
        )}
      </Field>
    ) : null;

  const fieldsFailed = Object.keys(errors).some((k) => k !== 'form' && k !== 'tax_ids');

  return (
    <section className="card" aria-labelledby="billing-details-heading" data-testid="billing-details">
      <div className="card-head">
        <h2 id="billing-details-heading">Billing details</h2>
        {form ? null : (
          <button ref={editButton} type="button" className="button-secondary" onClick={edit}>
            Edit<span className="visually-hidden"> billing details</span>
          </button>
        )}
      </div>
      {saved && !form ? <Notice kind="success">Billing details saved. Stripe puts them on your next invoices.</Notice> : null}
      {customer.tax_location === 'missing' && !form ? (
        <p className="notice notice-warning" data-testid="tax-location-missing">
          Add the country you are billed in: Stripe Tax needs it to put the right tax on your invoices, and it is asked for before you
          subscribe.
        </p>
      ) : null}
      {form ? (
        <form onSubmit={(e) => void save(e)} noValidate aria-labelledby="billing-details-heading">
          <div className="form-grid">
            {text('name', 'Name (company or person)', 'organization')}
            {text('email', 'Billing email', 'email', { type: 'email' })}
          </div>
          <fieldset className="form-section">
            <legend>Address</legend>
            <div className="form-grid">
              {text('line1', 'Address line 1', 'address-line1', { wide: true })}
              {text('line2', 'Address line 2', 'address-line2', { wide: true })}
              {text('city', 'City', 'address-level2')}
              {text('postal_code', 'Postal or ZIP code', 'postal-code')}
              {text('state', 'State, county or province', 'address-level1')}
              <Field id="bd-country" label="Country" hint="Decides the tax on your invoices." error={errors.country}>
                {(control) => <CountrySelect control={control} value={form.country} onChange={(code) => set('country', code)} />}
              </Field>
            </div>
          </fieldset>
          <fieldset className="form-section">
            <legend>Tax IDs</legend>
            <p className="field-hint">
              For a business: your VAT or other tax number, shown on invoices. An EU business outside Ireland with an EU VAT number is
              reverse charged.
            </p>
            {form.tax_ids.length === 0 ? <p className="muted small">No tax IDs.</p> : null}
            {form.tax_ids.map((row, i) => (
              <TaxIdFields key={row.key} row={row} index={i} errors={errors} onChange={(change) => setRow(row.key, change)} onRemove={() => removeRow(row.key)} />
            ))}
            {errors.tax_ids ? (
              <p className="field-error" role="alert">
                {errors.tax_ids}
              </p>
            ) : null}
            {form.tax_ids.length < MAX_TAX_IDS ? (
              <button ref={addButton} type="button" className="button-secondary" onClick={addRow}>
                Add tax ID
              </button>
            ) : null}
          </fieldset>
          {failure ? (
            <ErrorNotice
              error={fieldsFailed ? new Error('some details were not accepted; check the fields marked above.') : errors.form ? new Error(errors.form) : failure}
              title="Not saved"
            />
          ) : null}
          <div className="actions">
            <button type="submit" disabled={busy} aria-busy={busy}>
              {busy ? 'Saving…' : 'Save billing details'}
            </button>
            <button type="button" className="button-secondary" onClick={close} disabled={busy}>
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <DetailsView customer={customer} />
      )}
    </section>
  );
};

const TaxIdFields = ({
  row,
  index,
  errors,
  onChange,
  onRemove,
}: {
  row: TaxIdRow;
  index: number;
  errors: FieldErrors;
  onChange: (change: Partial<Omit<TaxIdRow, 'key'>>) => void;
  onRemove: () => void;
}) => {
  const n = index + 1;
  return (
    <div className="tax-id-row" data-testid="tax-id-row">
      <Field
        id={`bd-${row.key}-type`}
        label={
          <>
            <span className="visually-hidden">Tax ID {n}: </span>Type
          </>
        }
        error={errors[`tax:${row.key}:type`]}
      >
        {(control) => (
          <select {...control} value={row.type} onChange={(e) => onChange({ type: e.target.value as TaxIdType })}>
            {TAX_ID_TYPES.map((t) => (
              <option key={t} value={t}>
                {taxIdLabels[t]}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field
        id={`bd-${row.key}-value`}
        label={
          <>
            <span className="visually-hidden">Tax ID {n}: </span>Number
          </>
        }
        error={errors[`tax:${row.key}:value`]}
      >
        {(control) => (
          <input
            {...control}
            type="text"
            value={row.value}
            placeholder={`e.g. ${taxIdExample(row.type)}`}
            autoComplete="off"
            spellCheck={false}
            onChange={(e) => onChange({ value: e.target.value })}
          />
        )}
      </Field>
      <button type="button" className="button-secondary tax-id-remove" onClick={onRemove}>
        Remove<span className="visually-hidden"> tax ID {n}</span>
      </button>
    </div>
  );
};

const DetailsView = ({ customer }: { customer: Customer }) => {
  const missing = <span className="muted">Not given</span>;
  return (
    <dl className="facts" data-testid="billing-details-view">
      <dt>Name</dt>
      <dd data-testid="billing-name">{customer.name ?? missing}</dd>
      <dt>Email</dt>
      <dd data-testid="billing-email">{customer.email ?? missing}</dd>
      <dt>Address</dt>
      <dd data-testid="billing-address">
        {customer.address ? (
          <address className="address">
            {addressLines(customer.address).map((line, i) => (
              <span key={i}>{line}</span>
            ))}
          </address>
        ) : (
          missing
        )}
      </dd>
      <dt>Tax IDs</dt>
      <dd data-testid="billing-tax-ids">
        {customer.tax_ids.length === 0 ? (
          <span className="muted">None</span>
        ) : (
          <ul className="plain-list">
            {customer.tax_ids.map((t) => (
              <li key={`${t.type}:${t.value}`}>
                {taxIdLabels[t.type] ?? t.type} <span className="tax-id-value">{t.value}</span>
              </li>
            ))}
          </ul>
        )}
      </dd>
    </dl>
  );
};
