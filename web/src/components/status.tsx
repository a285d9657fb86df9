import type { ReactNode } from 'react';

export const Loading = ({ label = 'Loading…' }: { label?: string }) => (
  <p className="loading" role="status" aria-live="polite">
    <span className="spinner" aria-hidden="true" />
    {label}
  </p>
);

/** Shows the API's own `error.message`. */
export const ErrorNotice = ({ error, onRetry, title = 'Something went wrong' }: { error: Error; onRetry?: () => void; title?: string }) => (
  <div className="notice notice-error" role="alert">
    <p>
      <strong>{title}:</strong> {error.message}
    </p>
    {onRetry ? (
      <button type="button" className="button-secondary" onClick={onRetry}>
        Try again
      </button>
    ) : null}
  </div>
);

export const Empty = ({ children }: { children: ReactNode }) => <div className="empty">{children}</div>;

export const Notice = ({ kind, children }: { kind: 'success' | 'info' | 'warning'; children: ReactNode }) => (
  <div className={`notice notice-${kind}`} role="status">
    {children}
  </div>
);

const statusLabels: Record<string, string> = {
  trialing: 'Trial',
  active: 'Active',
  past_due: 'Past due',
  unpaid: 'Unpaid',
  canceled: 'Canceled',
  incomplete: 'Incomplete',
  incomplete_expired: 'Expired',
  paused: 'Paused',
  draft: 'Draft',
  open: 'Open',
  paid: 'Paid',
  uncollectible: 'Uncollectible',
  void: 'Void',
};

const statusTone: Record<string, 'good' | 'info' | 'warn' | 'bad' | 'muted'> = {
  trialing: 'info',
  active: 'good',
  paid: 'good',
  past_due: 'bad',
  unpaid: 'bad',
  uncollectible: 'bad',
  open: 'warn',
  incomplete: 'warn',
  draft: 'muted',
  canceled: 'muted',
  void: 'muted',
  incomplete_expired: 'muted',
  paused: 'muted',
};

export const statusLabel = (status: string): string => statusLabels[status] ?? status.replace(/_/g, ' ');

export const StatusBadge = ({ status }: { status: string }) => (
  <span className={`badge badge-${statusTone[status] ?? 'muted'}`}>{statusLabel(status)}</span>
);
