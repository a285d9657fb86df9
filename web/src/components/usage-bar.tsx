import { formatMoney, formatNumber, formatQuantity, resourceLabels } from '../format';
import type { Headroom, Resource, ResourceUsage } from '../api/types';
import { headroomText } from '../entitlements';

/**
 * One resource against its quota: the bar runs past 100% when over, with marks at 80% (the
 * first usage alert) and 100% (where overage starts). The text says the same, so colour is
 * never the only signal.
 */
export const UsageBar = ({
  resource,
  usage,
  currency,
  headroom,
}: {
  resource: Resource;
  usage: ResourceUsage;
  currency: string;
  /** From `GET /entitlements`: what is left in the plan and what the next unit costs. */
  headroom?: Headroom | undefined;
}) => {
  const { quantity, included, percent_used: percent } = usage;
  const labelId = `usage-${resource}-label`;
  const scale = included ? Math.max(included * 1.25, quantity) : Math.max(quantity, 1);
  const at = (value: number) => `${Math.min(100, (value / scale) * 100)}%`;
  const tone = percent === null ? 'normal' : percent >= 100 ? 'over' : percent >= 80 ? 'warn' : 'normal';
  const left = headroom ? headroomText(resource, headroom, currency) : null;
  const summary =
    included === null
      ? `${formatQuantity(quantity, resource)} (no quota without a plan)`
      : `${formatNumber(quantity)} of ${formatQuantity(included, resource)} (${formatNumber(percent ?? 0)}%)`;

  return (
    <div className={`usage usage-${tone}`} data-resource={resource}>
      <div className="usage-head">
        <span id={labelId} className="usage-name">
          {resourceLabels[resource].name}
        </span>
        <span className="usage-figures">{summary}</span>
      </div>
      <div
        className="bar"
        role="meter"
        aria-labelledby={labelId}
        aria-valuemin={0}
        aria-valuemax={included ?? scale}
        aria-valuenow={Math.min(quantity, included ?? scale)}
        aria-valuetext={summary}
      >
        <div className="bar-fill" style={{ width: at(quantity) }} />
        {included ? (
          <>
            <div className="bar-mark" style={{ left: at(included * 0.8) }} title="80% of quota" aria-hidden="true" />
            <div className="bar-mark bar-mark-full" style={{ left: at(included) }} title="100% of quota" aria-hidden="true" />
          </>
        ) : null}
      </div>
      {usage.overage > 0 ? (
        <p className="usage-over">
          Over quota by {formatQuantity(usage.overage, resource)}: {formatMoney(usage.overage_amount, currency)} overage so far
        </p>
      ) : percent !== null && percent >= 80 ? (
        <p className="usage-near">Above 80% of the quota</p>
      ) : null}
      {left ? (
        <p className="usage-headroom" data-testid="headroom">
          {left}
        </p>
      ) : null}
    </div>
  );
};
