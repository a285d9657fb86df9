import type { Entitlements, InvoiceSummary } from '../api/types';
import { accessSummary, payLink, readableDates } from '../entitlements';

/**
 * The tenant's access (full, read-only, blocked) and why, from `GET /entitlements`: a single
 * line for plain full access; otherwise each reason as the API words it (dates as the page
 * writes them), with "Pay now" to Stripe's hosted invoice page when a reason names an unpaid
 * invoice the page lists.
 */
export const AccessCard = ({ entitlements, invoices }: { entitlements: Entitlements; invoices: readonly InvoiceSummary[] }) => {
  const summary = accessSummary(entitlements);
  return (
    <section
      className={`card card-wide access access-${summary.tone}`}
      aria-labelledby="dash-access"
      data-testid="access"
      data-access={entitlements.access}
    >
      <div className="access-head">
        <h2 id="dash-access">Access</h2>
        <span className={`badge badge-${summary.tone}`} data-testid="access-state">
          {summary.label}
        </span>
        {summary.plain ? <span className="muted small">Everything in your plan is available.</span> : null}
      </div>
      {entitlements.reasons.length > 0 ? (
        <ul className="plain-list access-reasons">
          {entitlements.reasons.map((reason) => {
            const link = payLink(reason, invoices);
            return (
              <li key={reason.code} data-reason={reason.code}>
                <span className="access-reason">{readableDates(reason.message)}</span>
                {link ? (
                  <>
                    {' '}
                    <a href={link.url} className="access-pay" data-testid="pay-now">
                      Pay now<span className="visually-hidden"> invoice {link.label}</span>
                    </a>
                  </>
                ) : null}
              </li>
            );
          })}
        </ul>
      ) : null}
    </section>
  );
};
