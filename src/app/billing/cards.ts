import { InvalidInput } from '../errors';
import type { CardCollection } from '../ports/cards';
import type { PaymentProvider } from '../ports/payments';
import type { TenantStore } from '../ports/tenants';
import { ensureCustomer } from './customer';

export interface CardsDeps {
  readonly cards: CardCollection;
  readonly provider: Pick<PaymentProvider, 'createCustomer'>;
  readonly tenants: TenantStore;
  /** The billing page's origins; the first is where people go back by default. */
  readonly origins: () => readonly string[];
}

export interface PaymentMethodView {
  readonly id: string;
  readonly brand: string;
  readonly last4: string;
  readonly exp_month: number;
  readonly exp_year: number;
  readonly default: boolean;
}

/**
 * A redirect back from Stripe's pages: only to one of the page's own origins (an open redirect
 * would let anyone send a tenant from Stripe's page to a look-alike). Kept as given (Stripe fills
 * `{CHECKOUT_SESSION_ID}` in).
 */
const redirect = (url: string | undefined, fallback: string, origins: readonly string[], field: string): string => {
  if (url === undefined) return fallback;
  let origin: string;
  try {
    origin = new URL(url).origin;
  } catch {
    throw new InvalidInput('Invalid redirect URL', [{ field, message: 'must be an absolute URL' }]);
  }
  if (!origins.includes(origin)) {
    throw new InvalidInput('Redirect URL not allowed', [{ field, message: `must be on the billing page's origin (${origins.join(', ')})` }]);
  }
  return url;
};

/**
 * The tenant's cards, collected by Stripe (SPEC section 4): Checkout in setup mode to add or
 * replace one, the customer portal to manage them, and the list. The Stripe customer is made
 * once, with the same key as a subscription's create, so either may come first.
 */
export class ManageCards {
  constructor(private readonly deps: CardsDeps) {}

  /** `POST /payment-methods/setup`: a Checkout Session (setup mode) for the tenant's customer. */
  async setup(tenantId: string, input: { success_url?: string; cancel_url?: string }, idempotencyKey: string): Promise<{ id: string; url: string }> {
    const origins = this.deps.origins();
    const home = `${origins[0] ?? ''}/`;
    const successUrl = redirect(input.success_url, `${home}?card=added`, origins, 'success_url');
    const cancelUrl = redirect(input.cancel_url, home, origins, 'cancel_url');
    const { customerId, currency } = await this.customer(tenantId);
    return this.deps.cards.createSetupSession({ customerId, currency, successUrl, cancelUrl, idempotencyKey });
  }

  /** `POST /billing-portal`: a customer portal session back to the page. */
  async portal(tenantId: string, input: { return_url?: string }, idempotencyKey: string): Promise<{ url: string }> {
    const origins = this.deps.origins();
    const returnUrl = redirect(input.return_url, `${origins[0] ?? ''}/`, origins, 'return_url');
    const { customerId } = await this.customer(tenantId);
    return this.deps.cards.createPortalSession({ customerId, returnUrl, idempotencyKey });
  }

  /** `GET /payment-methods`: the cards on the tenant's customer (none before it has one). */
  async list(tenantId: string): Promise<{ payment_methods: PaymentMethodView[]; default_payment_method: string | null }> {
    const customerId = (await this.deps.tenants.get(tenantId)).stripe_customer_id;
    if (!customerId) return { payment_methods: [], default_payment_method: null };
    const { cards, defaultId } = await this.deps.cards.listCards(customerId);
    return {
      payment_methods: cards.map((c) => ({ id: c.id, brand: c.brand, last4: c.last4, exp_month: c.expMonth, exp_year: c.expYear, default: c.id === defaultId })),
      default_payment_method: defaultId,
    };
  }

  private async customer(tenantId: string) {
    const profile = await this.deps.tenants.get(tenantId);
    return { customerId: await ensureCustomer(this.deps, profile), currency: profile.currency ?? 'usd' };
  }
}
