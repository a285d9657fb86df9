import { createContext, useContext } from 'react';
import { ApiError, type ApiClient } from './api/client';
import type { Plan, Subscription } from './api/types';
import type { Session } from './auth/session';

export interface AppContextValue {
  readonly api: ApiClient;
  readonly session: Session;
  /** The catalog (`GET /plans`), loaded once. */
  readonly plans: readonly Plan[];
  /** This page load is the return from Stripe Checkout with a new card (`?card=added`). */
  readonly cardAdded: boolean;
}

export const AppContext = createContext<AppContextValue | null>(null);

export const useApp = (): AppContextValue => {
  const value = useContext(AppContext);
  if (!value) throw new Error('useApp outside AppContext');
  return value;
};

/** The tenant's latest subscription, or null before the first one (the API answers 404). */
export const fetchSubscription = async (api: ApiClient): Promise<Subscription | null> => {
  try {
    return (await api.call('currentSubscription')).subscription;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
};

export const planById = (plans: readonly Plan[], id: string | null | undefined): Plan | undefined => plans.find((p) => p.id === id);

/** A subscription that still gives access and can be changed. */
export const liveSubscription = (subscription: Subscription | null): Subscription | null =>
  subscription !== null && !['canceled', 'incomplete_expired'].includes(subscription.status) ? subscription : null;

export type TabId = 'dashboard' | 'subscription' | 'usage' | 'invoices' | 'admin';
