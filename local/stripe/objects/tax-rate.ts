import type Stripe from 'stripe';
import type { MetadataUpdate } from '../http/params';
import { mergeMetadata } from '../http/params';

export const newTaxRate = (input: {
  id: string;
  displayName: string;
  percentage: number;
  inclusive: boolean;
  active: boolean;
  country: string | null;
  state: string | null;
  jurisdiction: string | null;
  description: string | null;
  taxType: Stripe.TaxRate.TaxType | null;
  metadata: MetadataUpdate | undefined;
  now: number;
  /** Stripe Tax's rates: the rate actually applied (0 where nothing is collected); default `percentage`. */
  effectivePercentage?: number;
  /** Stripe Tax's rates carry one; manually defined rates have none. */
  jurisdictionLevel?: Stripe.TaxRate.JurisdictionLevel;
}): Stripe.TaxRate => ({
  id: input.id,
  object: 'tax_rate',
  active: input.active,
  country: input.country,
  created: input.now,
  description: input.description,
  display_name: input.displayName,
  effective_percentage: input.effectivePercentage ?? input.percentage,
  flat_amount: null,
  inclusive: input.inclusive,
  jurisdiction: input.jurisdiction,
  jurisdiction_level: input.jurisdictionLevel ?? null,
  livemode: false,
  metadata: mergeMetadata(null, input.metadata),
  percentage: input.percentage,
  rate_type: 'percentage',
  state: input.state,
  tax_type: input.taxType,
});
