import { useCallback, useMemo, useState } from 'react';
import { createApiClient } from './api/client';
import type { Session } from './auth/session';
import { Tabs, type TabDefinition } from './components/tabs';
import { ErrorNotice, Loading } from './components/status';
import { AppContext, type TabId } from './context';
import type { PageConfig } from './config';
import { takeCardAddedFromUrl } from './payments';
import { useResource } from './use-resource';
import { AdminTab } from './tabs/admin';
import { Dashboard } from './tabs/dashboard';
import { InvoicesTab } from './tabs/invoices';
import { SubscriptionTab } from './tabs/subscription';
import { UsageTab } from './tabs/usage';

const TENANT_TABS: readonly TabDefinition<TabId>[] = [
  { id: 'dashboard', label: 'Dashboard' },
  { id: 'subscription', label: 'Subscription' },
  { id: 'usage', label: 'Usage' },
  { id: 'invoices', label: 'Invoices' },
];
const ADMIN_TAB: TabDefinition<TabId> = { id: 'admin', label: 'Admin' };

// Read once per page load (before React renders twice in strict mode): the address bar is cleaned at once.
const cardAddedOnLoad = takeCardAddedFromUrl();

/** The signed-in page: tabs for a tenant, and Admin for a token in the admin group. */
export const App = ({ config, session, onSignOut }: { config: PageConfig; session: Session; onSignOut: (reason?: string) => void }) => {
  const api = useMemo(
    () =>
      createApiClient({
        baseUrl: config.apiUrl,
        token: () => session.token,
        onUnauthorized: () => onSignOut('Your session has expired or was refused. Please sign in again.'),
      }),
    [config.apiUrl, session.token, onSignOut],
  );
  const tabs = useMemo(
    () => [...(session.tenantId ? TENANT_TABS : []), ...(session.isAdmin ? [ADMIN_TAB] : [])],
    [session.tenantId, session.isAdmin],
  );
  const [chosen, setTab] = useState<TabId>(tabs[0]?.id ?? 'dashboard');
  const tab = tabs.some((t) => t.id === chosen) ? chosen : (tabs[0]?.id ?? 'dashboard');
  // Each visit to a tab loads it afresh; a change in one tab shows in the next.
  const [visit, setVisit] = useState(0);
  const select = useCallback((id: TabId) => {
    setTab(id);
    setVisit((v) => v + 1);
  }, []);
  const plans = useResource(() => api.call('listPlans'));
  const [cardAdded, setCardAdded] = useState(cardAddedOnLoad);

  return (
    <>
      <header className="topbar">
        <h1>SecureNet Billing</h1>
        <div className="who">
          <span>
            {session.tenantId ? (
              <>
                Organization <strong data-testid="tenant">{session.tenantId}</strong>
              </>
            ) : (
              'Operator'
            )}
            {session.isAdmin ? <span className="badge badge-info">admin</span> : null}
          </span>
          <button type="button" className="button-secondary" onClick={() => onSignOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main>
        {cardAdded && session.tenantId ? (
          <div className="notice notice-success notice-dismissible" role="status" data-testid="card-added">
            <p>
              <strong>Card added.</strong> Stripe charges it from now on, starting with any open invoice.
            </p>
            <button type="button" className="button-link" onClick={() => setCardAdded(false)}>
              Dismiss
            </button>
          </div>
        ) : null}
        {tabs.length === 0 ? (
          <ErrorNotice error={new Error('This sign-in names no organization and no admin role.')} title="Nothing to show" />
        ) : plans.state.status === 'loading' ? (
          <Loading label="Loading plans…" />
        ) : plans.state.status === 'error' ? (
          <ErrorNotice error={plans.state.error} onRetry={plans.reload} />
        ) : (
          <AppContext.Provider value={{ api, session, plans: plans.state.data.plans, cardAdded }}>
            <Tabs tabs={tabs} selected={tab} onSelect={select} label="Billing">
              <TabContent key={`${tab}:${visit}`} tab={tab} onNavigate={select} />
            </Tabs>
          </AppContext.Provider>
        )}
      </main>
    </>
  );
};

const TabContent = ({ tab, onNavigate }: { tab: TabId; onNavigate: (tab: TabId) => void }) => {
  switch (tab) {
    case 'dashboard':
      return <Dashboard onNavigate={onNavigate} />;
    case 'subscription':
      return <SubscriptionTab />;
    case 'usage':
      return <UsageTab />;
    case 'invoices':
      return <InvoicesTab />;
    case 'admin':
      return <AdminTab />;
  }
};
