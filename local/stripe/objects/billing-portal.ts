import type Stripe from 'stripe';

type Features = Stripe.BillingPortal.Configuration.Features;

/** What a configuration offers when a feature is not given (Stripe's defaults: all off). */
export const defaultFeatures = (): Features => ({
  customer_update: { allowed_updates: [], enabled: false },
  invoice_history: { enabled: false },
  payment_method_update: { enabled: false, payment_method_configuration: null },
  subscription_cancel: {
    cancellation_reason: { enabled: false, feedback_options: null, options: [] },
    enabled: false,
    mode: 'at_period_end',
    proration_behavior: 'none',
  },
  subscription_pause: { duration: { interval_options: [], type: 'indefinite' }, enabled: false },
  subscription_update: {
    billing_cycle_anchor: null,
    default_allowed_updates: [],
    enabled: false,
    products: [],
    proration_behavior: 'none',
    schedule_at_period_end: { conditions: [] },
    trial_update_behavior: 'end_trial',
  },
});

export const newPortalConfiguration = (input: {
  id: string;
  isDefault: boolean;
  businessProfile: Stripe.BillingPortal.Configuration.BusinessProfile;
  features: Features;
  defaultReturnUrl: string | null;
  loginPage: boolean;
  baseUrl: string;
  name: string | null;
  metadata: Record<string, string>;
  now: number;
}): Stripe.BillingPortal.Configuration => ({
  id: input.id,
  object: 'billing_portal.configuration',
  active: true,
  application: null,
  business_profile: input.businessProfile,
  created: input.now,
  default_return_url: input.defaultReturnUrl,
  features: input.features,
  is_default: input.isDefault,
  livemode: false,
  login_page: { enabled: input.loginPage, url: input.loginPage ? `${input.baseUrl}/billing_portal/login/${input.id}` : null },
  metadata: input.metadata,
  name: input.name,
  updated: input.now,
});

export const newPortalSession = (input: {
  id: string;
  configuration: string;
  customer: string;
  returnUrl: string | null;
  locale: Stripe.BillingPortal.Session.Locale | null;
  url: string;
  now: number;
}): Stripe.BillingPortal.Session => ({
  id: input.id,
  object: 'billing_portal.session',
  configuration: input.configuration,
  created: input.now,
  customer: input.customer,
  customer_account: null,
  flow: null,
  livemode: false,
  locale: input.locale,
  on_behalf_of: null,
  return_url: input.returnUrl,
  url: input.url,
});
