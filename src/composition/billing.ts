import { ProcessedEvents } from '../adapters/dynamodb/processed-events';
import { ManageCards } from '../app/billing/cards';
import { ManageBillingDetails } from '../app/billing/customer';
import { webConfig } from '../platform/config';
import { StripeEventProcessor } from '../app/billing/stripe-events';
import { CancelSubscription } from '../app/billing/subscriptions/cancel';
import { ChangeSubscription } from '../app/billing/subscriptions/change';
import { CreateSubscription } from '../app/billing/subscriptions/create';
import { CurrentSubscription } from '../app/billing/subscriptions/current';
import { PreviewChange } from '../app/billing/subscriptions/preview';
import { liveClock } from '../platform/clock';
import { overageBiller } from './overage';
import { cardCollection, paymentProvider } from './payments';
import { entitlements } from './entitlements';
import { root } from './root';

// The subscription use cases, one each; only those that change usage wait for the biller.

export const createSubscription = (): Promise<CreateSubscription> =>
  root().sharedRetried('createSubscription', async () => {
    const provider = await paymentProvider();
    const { tenants, subscriptions, mirror } = root().repositories();
    return new CreateSubscription({ provider, tenants, subscriptions, mirror, publisher: root().publisher(), entitlements: entitlements(), clock: liveClock });
  });

export const changeSubscription = (): Promise<ChangeSubscription> =>
  root().sharedRetried('changeSubscription', async () => {
    const [provider, changes] = await Promise.all([paymentProvider(), overageBiller()]);
    const { tenants, subscriptions, mirror } = root().repositories();
    return new ChangeSubscription({ provider, tenants, subscriptions, mirror, changes, publisher: root().publisher(), entitlements: entitlements(), clock: liveClock });
  });

export const previewChange = (): Promise<PreviewChange> =>
  root().sharedRetried('previewChange', async () => {
    const provider = await paymentProvider();
    const { tenants, subscriptions } = root().repositories();
    return new PreviewChange({ provider, tenants, subscriptions, clock: liveClock });
  });

export const cancelSubscription = (): Promise<CancelSubscription> =>
  root().sharedRetried('cancelSubscription', async () => {
    const [provider, changes] = await Promise.all([paymentProvider(), overageBiller()]);
    const { tenants, subscriptions, mirror } = root().repositories();
    return new CancelSubscription({ provider, tenants, subscriptions, mirror, changes, publisher: root().publisher(), entitlements: entitlements(), clock: liveClock });
  });

/** Reads the mirror only: no Stripe keys. */
export const currentSubscription = (): CurrentSubscription =>
  root().shared('currentSubscription', () => {
    const { tenants, subscriptions } = root().repositories();
    return new CurrentSubscription({ tenants, subscriptions });
  });

export const stripeEventProcessor = (): Promise<StripeEventProcessor> =>
  root().sharedRetried('stripeEventProcessor', async () => {
    const [provider, cards] = await Promise.all([paymentProvider(), cardCollection()]);
    const { tenants, invoices, mirror } = root().repositories();
    return new StripeEventProcessor({ provider, cards, tenants, invoices, mirror, publisher: root().publisher(), processed: new ProcessedEvents(root().table()), entitlements: entitlements() });
  });

export const manageCards = (): Promise<ManageCards> =>
  root().sharedRetried('manageCards', async () => {
    const [cards, provider] = await Promise.all([cardCollection(), paymentProvider()]);
    return new ManageCards({ cards, provider, tenants: root().repositories().tenants, origins: () => webConfig().WEB_ORIGINS });
  });

export const manageBillingDetails = (): Promise<ManageBillingDetails> =>
  root().sharedRetried('manageBillingDetails', async () => {
    const provider = await paymentProvider();
    return new ManageBillingDetails({ provider, tenants: root().repositories().tenants, publisher: root().publisher(), clock: liveClock });
  });
