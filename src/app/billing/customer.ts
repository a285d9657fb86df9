import { taxLocationProblem, type BillingDetails, type PostalAddress, type TaxId } from '../../domain/billing-details';
import { InvalidInput } from '../errors';
import type { EventPublisher } from '../events/publisher';
import type { Actor } from '../ports/billing-events';
import type { PaymentProvider } from '../ports/payments';
import type { TenantProfile, TenantStore } from '../ports/tenants';
import type { Clock } from '../../platform/clock';
import { record } from './subscriptions/steps';

/** What a tenant sends to change its billing details: each field given replaces the stored one. */
export interface BillingDetailsInput {
  readonly name?: string | null;
  readonly email?: string | null;
  readonly address?: Partial<Omit<PostalAddress, 'country'>> & { readonly country: string };
  /** The whole list: tax IDs left out are removed. */
  readonly tax_ids?: readonly TaxId[];
}

/** The view `GET /customer` and `POST /customer` answer. */
export interface CustomerView {
  readonly customer: BillingDetails & { readonly tax_location: 'ok' | 'missing' };
}

export type CustomerDeps = {
  readonly provider: Pick<PaymentProvider, 'createCustomer' | 'saveBillingDetails'>;
  readonly tenants: TenantStore;
  readonly publisher: EventPublisher;
  readonly clock: Clock;
};

/**
 * The stored details with what the input gives, or the stored details themselves (the same
 * object) when nothing changes.
 *
 * @example
 * mergeBillingDetails(stored, { address: { country: 'DE' } }).address // { line1: null, ..., country: 'DE' }
 */
export const mergeBillingDetails = (stored: BillingDetails, input: BillingDetailsInput): BillingDetails => {
  const next: BillingDetails = {
    name: input.name === undefined ? stored.name : input.name,
    email: input.email === undefined ? stored.email : input.email,
    address:
      input.address === undefined
        ? stored.address
        : {
            line1: input.address.line1 ?? null,
            line2: input.address.line2 ?? null,
            city: input.address.city ?? null,
            state: input.address.state ?? null,
            postal_code: input.address.postal_code ?? null,
            country: input.address.country,
          },
    tax_ids: input.tax_ids === undefined ? stored.tax_ids : input.tax_ids,
  };
  return JSON.stringify(next) === JSON.stringify(stored) ? stored : next;
};

/**
 * The tenant's Stripe customer: the recorded one, or one made now (a retry after a crash finds
 * the same customer through the key) and recorded; a concurrent maker's id wins.
 */
export const ensureCustomer = async (
  deps: { readonly provider: Pick<PaymentProvider, 'createCustomer'>; readonly tenants: TenantStore },
  profile: TenantProfile,
): Promise<string> =>
  profile.stripe_customer_id ??
  (await deps.tenants.setCustomer(
    profile.tenant_id,
    await deps.provider.createCustomer({ tenantId: profile.tenant_id, idempotencyKey: `customer:${profile.tenant_id}` }),
  ));

/** Tax needs to know where the customer is (Stripe Tax's `customer_tax_location_invalid` otherwise). */
const requireTaxLocation = (details: BillingDetails): void => {
  const problem = taxLocationProblem(details.address);
  if (problem) throw new InvalidInput('A billing address Stripe Tax can place is needed to compute tax', [problem]);
};

/**
 * Saves billing details to the Stripe customer (made first if need be), then to the profile, and
 * records the change. Stripe first: a failure after it leaves the profile behind, and a retry
 * sets the same state again. A new address must be one Stripe Tax can place (renewals are taxed
 * from it); `requireLocation` asks for one even when the input gives none (before a first
 * charge). Both are checked before anything is made. Returns the details as saved.
 */
export const saveBillingDetails = async (
  deps: CustomerDeps,
  profile: TenantProfile,
  actor: Actor,
  input: BillingDetailsInput,
  options: { readonly requireLocation?: boolean } = {},
): Promise<{ customerId: string; details: BillingDetails }> => {
  const details = mergeBillingDetails(profile.billing_details, input);
  if (input.address || options.requireLocation) requireTaxLocation(details);
  const customerId = await ensureCustomer(deps, profile);
  if (details === profile.billing_details && profile.stripe_customer_id) return { customerId, details };
  await deps.provider.saveBillingDetails(customerId, details);
  await deps.tenants.setBillingDetails(profile.tenant_id, details);
  await record(deps, profile.tenant_id, actor, 'billing_details.updated', {
    country: details.address?.country ?? null,
    tax_ids: details.tax_ids.map((t) => t.type),
  });
  return { customerId, details };
};

const view = (details: BillingDetails): CustomerView => ({
  customer: { ...details, tax_location: taxLocationProblem(details.address) ? 'missing' : 'ok' },
});

/**
 * `GET /customer` and `POST /customer`: the tenant's billing details (SPEC section 4), kept on
 * the Stripe customer, where invoices take them from.
 * @example await manageBillingDetails.save('org-1', actor, { address: { country: 'GB' } })
 */
export class ManageBillingDetails {
  constructor(private readonly deps: CustomerDeps) {}

  async get(tenantId: string): Promise<CustomerView> {
    return view((await this.deps.tenants.get(tenantId)).billing_details);
  }

  async save(tenantId: string, actor: Actor, input: BillingDetailsInput): Promise<CustomerView> {
    const { details } = await saveBillingDetails(this.deps, await this.deps.tenants.get(tenantId), actor, input);
    return view(details);
  }
}
