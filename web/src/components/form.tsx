import type { ReactNode } from 'react';
import { COUNTRIES } from '../customer';

/** What a control needs to be labelled and to point at its hint and error. */
export interface ControlProps {
  readonly id: string;
  readonly 'aria-invalid': boolean;
  readonly 'aria-describedby': string | undefined;
}

/**
 * A labelled form control with an optional hint, and the error the API (or the page) gives for
 * it right below, tied to the control by `aria-describedby`.
 */
export const Field = ({
  id,
  label,
  hint,
  error,
  className = '',
  children,
}: {
  id: string;
  label: ReactNode;
  hint?: ReactNode;
  error?: string | undefined;
  className?: string;
  children: (control: ControlProps) => ReactNode;
}) => {
  const described = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(' ');
  return (
    <div className={`field${error ? ' field-invalid' : ''}${className ? ` ${className}` : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children({ id, 'aria-invalid': Boolean(error), 'aria-describedby': described || undefined })}
      {hint ? (
        <p id={`${id}-hint`} className="field-hint">
          {hint}
        </p>
      ) : null}
      {error ? (
        <p id={`${id}-error`} className="field-error">
          {error}
        </p>
      ) : null}
    </div>
  );
};

/** The ISO countries by name; empty until one is chosen. */
export const CountrySelect = ({
  control,
  value,
  onChange,
  required = false,
}: {
  control: ControlProps;
  value: string;
  onChange: (code: string) => void;
  required?: boolean;
}) => (
  <select {...control} value={value} required={required} autoComplete="country" onChange={(e) => onChange(e.target.value)}>
    <option value="">Choose a country</option>
    {COUNTRIES.map((c) => (
      <option key={c.code} value={c.code}>
        {c.name}
      </option>
    ))}
  </select>
);

/**
 * Focuses the first field (in `ids` order: error key, element id) that has an error, once it is
 * rendered with its message, so that a keyboard or screen reader user lands on it.
 */
export const focusFirstError = (errors: Readonly<Record<string, string>>, ids: readonly (readonly [key: string, id: string])[]): void => {
  const first = ids.find(([key]) => errors[key]);
  if (first) requestAnimationFrame(() => document.getElementById(first[1])?.focus());
};
