import type Stripe from 'stripe';
import { clone } from '../clone';
import { invalidRequest, parameterMissing } from '../errors';
import { mergeMetadata } from '../http/params';
import { newId } from '../ids';
import { LIST_PARAMS, newestFirst, toList } from '../lists';
import { defaultFeatures, newPortalConfiguration, newPortalSession } from '../objects/billing-portal';
import { must } from '../store';
import { type ApiContext, type ApiRequest, expandOf, Params, pathParam, render, type Route } from './context';

type Configuration = Stripe.BillingPortal.Configuration;
type Features = Stripe.BillingPortal.Configuration.Features;

const url = (p: Params, key: string): string | null | undefined => {
  const v = p.string(key);
  if (v === undefined || v === '') return v === '' ? null : undefined;
  if (!/^https?:\/\/\S+$/.test(v)) throw invalidRequest(`Invalid URL: ${v}`, { param: p.name(key), code: 'url_invalid' });
  return v;
};

const FEATURE_KEYS = ['customer_update', 'invoice_history', 'payment_method_update', 'subscription_cancel', 'subscription_pause', 'subscription_update'] as const;

/** Applies the `features[...]` hash to a configuration's features (the modelled switches of each). */
const applyFeatures = (features: Features, p: Params | undefined): void => {
  if (!p) return;
  const enabled = (key: (typeof FEATURE_KEYS)[number], allowed: readonly string[]): Params | undefined => {
    const f = p.object(key, ['enabled', ...allowed]);
    const on = f?.bool('enabled');
    if (on !== undefined) features[key].enabled = on;
    return f;
  };
  const customerUpdate = enabled('customer_update', ['allowed_updates']);
  const allowed = customerUpdate?.stringList('allowed_updates');
  if (allowed) features.customer_update.allowed_updates = allowed;
  enabled('invoice_history', []);
  enabled('payment_method_update', []);
  const cancel = enabled('subscription_cancel', ['mode', 'proration_behavior']);
  features.subscription_cancel.mode = cancel?.enum('mode', ['at_period_end', 'immediately']) ?? features.subscription_cancel.mode;
  features.subscription_cancel.proration_behavior =
    cancel?.enum('proration_behavior', ['always_invoice', 'create_prorations', 'none']) ?? features.subscription_cancel.proration_behavior;
  enabled('subscription_pause', []);
  const update = enabled('subscription_update', ['default_allowed_updates', 'proration_behavior']);
  const updates = update?.stringList('default_allowed_updates');
  if (updates) features.subscription_update.default_allowed_updates = updates;
  features.subscription_update.proration_behavior =
    update?.enum('proration_behavior', ['always_invoice', 'create_prorations', 'none']) ?? features.subscription_update.proration_behavior;
};

const applyBusinessProfile = (profile: Stripe.BillingPortal.Configuration.BusinessProfile, p: Params | undefined): void => {
  if (!p) return;
  if (p.has('headline')) profile.headline = p.string('headline') || null;
  const privacy = url(p, 'privacy_policy_url');
  if (privacy !== undefined) profile.privacy_policy_url = privacy;
  const terms = url(p, 'terms_of_service_url');
  if (terms !== undefined) profile.terms_of_service_url = terms;
};

const CONFIG_PARAMS = ['business_profile', 'features', 'default_return_url', 'metadata', 'name', 'expand'] as const;

const buildConfiguration = (ctx: ApiContext, isDefault: boolean, p: Params | null): Configuration => {
  const config = newPortalConfiguration({
    id: newId('bpc'),
    isDefault,
    businessProfile: { headline: null, privacy_policy_url: null, terms_of_service_url: null },
    features: defaultFeatures(),
    defaultReturnUrl: null,
    loginPage: false,
    baseUrl: ctx.config.baseUrl,
    name: null,
    metadata: {},
    now: ctx.now(),
  });
  if (p) {
    applyBusinessProfile(config.business_profile, p.object('business_profile', ['headline', 'privacy_policy_url', 'terms_of_service_url']));
    applyFeatures(config.features, p.object('features', FEATURE_KEYS));
    config.default_return_url = url(p, 'default_return_url') ?? null;
    config.name = p.string('name') || null;
    config.metadata = mergeMetadata(null, p.metadata());
  }
  return config;
};

const createConfiguration = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, [...CONFIG_PARAMS]);
  if (!p.has('features')) throw parameterMissing('features');
  const config = buildConfiguration(ctx, false, p);
  ctx.state.portalConfigurations.set(config.id, config);
  ctx.events.emit('billing_portal.configuration.created', config);
  return render(ctx, config, expandOf(p));
};

const configurationFromPath = (ctx: ApiContext, req: ApiRequest): Configuration =>
  must(ctx.state.portalConfigurations, pathParam(req, 'id'), 'configuration');

const retrieveConfiguration = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['expand']);
  return render(ctx, configurationFromPath(ctx, req), expandOf(p));
};

const updateConfiguration = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, [...CONFIG_PARAMS, 'active']);
  const config = configurationFromPath(ctx, req);
  const active = p.bool('active');
  if (active === false && config.is_default) throw invalidRequest('The default configuration cannot be deactivated.', { param: 'active' });
  const before = clone(config);
  applyBusinessProfile(config.business_profile, p.object('business_profile', ['headline', 'privacy_policy_url', 'terms_of_service_url']));
  applyFeatures(config.features, p.object('features', FEATURE_KEYS));
  const returnUrl = url(p, 'default_return_url');
  if (returnUrl !== undefined) config.default_return_url = returnUrl;
  if (p.has('name')) config.name = p.string('name') || null;
  config.active = active ?? config.active;
  config.metadata = mergeMetadata(config.metadata, p.metadata());
  config.updated = ctx.now();
  ctx.events.emitUpdated('billing_portal.configuration.updated', config, before);
  return render(ctx, config, expandOf(p));
};

const listConfigurations = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, [...LIST_PARAMS, 'active', 'is_default']);
  const active = p.bool('active');
  const isDefault = p.bool('is_default');
  const items = newestFirst(ctx.state.portalConfigurations).filter(
    (c) => (active === undefined || c.active === active) && (isDefault === undefined || c.is_default === isDefault),
  );
  return render(ctx, toList(items, p, '/v1/billing_portal/configurations'), expandOf(p));
};

/**
 * The account's default configuration. Stripe has one once the portal settings are saved in the
 * Dashboard; locally there is no Dashboard, so the first session without a `configuration`
 * creates it (with its `billing_portal.configuration.created` event): invoice history and
 * payment method update enabled.
 */
const defaultConfiguration = (ctx: ApiContext): Configuration => {
  const found = [...ctx.state.portalConfigurations.values()].find((c) => c.is_default);
  if (found) return found;
  const config = buildConfiguration(ctx, true, null);
  config.features.invoice_history.enabled = true;
  config.features.payment_method_update.enabled = true;
  ctx.state.portalConfigurations.set(config.id, config);
  ctx.events.emit('billing_portal.configuration.created', config);
  return config;
};

const createSession = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['customer', 'return_url', 'configuration', 'locale', 'expand']);
  const customer = must(ctx.state.customers, p.requiredString('customer'), 'customer', 'customer');
  const configId = p.nonEmptyString('configuration');
  const config = configId ? must(ctx.state.portalConfigurations, configId, 'configuration', 'configuration') : defaultConfiguration(ctx);
  if (!config.active) throw invalidRequest(`The configuration ${config.id} is not active.`, { param: 'configuration' });
  const returnUrl = url(p, 'return_url') ?? config.default_return_url;
  const id = newId('bps');
  const session = newPortalSession({
    id,
    configuration: config.id,
    customer: customer.id,
    returnUrl,
    locale: p.string('locale') || null,
    url: `${ctx.config.baseUrl}/billing_portal/sessions/${id}`,
    now: ctx.now(),
  });
  ctx.state.portalSessions.set(id, session);
  ctx.events.emit('billing_portal.session.created', session);
  return render(ctx, session, expandOf(p));
};

export const billingPortalRoutes: readonly Route[] = [
  { method: 'POST', path: '/v1/billing_portal/configurations', handler: createConfiguration },
  { method: 'GET', path: '/v1/billing_portal/configurations', handler: listConfigurations },
  { method: 'GET', path: '/v1/billing_portal/configurations/:id', handler: retrieveConfiguration },
  { method: 'POST', path: '/v1/billing_portal/configurations/:id', handler: updateConfiguration },
  { method: 'POST', path: '/v1/billing_portal/sessions', handler: createSession },
];
