import { StrictMode, useCallback, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app';
import { completeSignIn } from './auth/oidc';
import { clearToken, isExpired, sessionFromToken, storedToken, storeToken, takeTokenFromFragment, type Session } from './auth/session';
import { ErrorNotice, Loading } from './components/status';
import { loadConfig, type PageConfig } from './config';
import { SignIn } from './sign-in';
import './styles.css';

type Boot =
  | { readonly status: 'loading' }
  | { readonly status: 'failed'; readonly error: Error }
  | { readonly status: 'ready'; readonly config: PageConfig; readonly session: Session | null; readonly message: string | null };

/** Config first, then whichever sign-in this page load carries, then the stored session. */
const boot = async (): Promise<Boot> => {
  const config = await loadConfig();
  let message: string | null = null;
  if (config.oidc && !config.local) {
    try {
      const token = await completeSignIn(config.oidc);
      if (token) storeToken(token);
    } catch (error) {
      message = error instanceof Error ? error.message : String(error);
    }
  } else if (config.local) {
    const token = takeTokenFromFragment();
    if (token) storeToken(token);
  }
  const token = storedToken();
  let session = token ? sessionFromToken(token, config.claims) : null;
  if (token && (!session || isExpired(session))) {
    clearToken();
    session = null;
    message = 'Your session has expired. Please sign in again.';
  }
  return { status: 'ready', config, session, message };
};

const Root = () => {
  const [state, setState] = useState<Boot>({ status: 'loading' });
  useEffect(() => {
    boot()
      .then(setState)
      .catch((error: unknown) => setState({ status: 'failed', error: error instanceof Error ? error : new Error(String(error)) }));
  }, []);

  // Local mode: a `#token=` link opened in a tab that already shows the page is a same-document
  // navigation, so no new load happens; take the token from the fragment here as well.
  const localMode = state.status === 'ready' && state.config.local;
  useEffect(() => {
    if (!localMode) return;
    const onHashChange = () => {
      const token = takeTokenFromFragment();
      if (!token) return;
      setState((s) => {
        if (s.status !== 'ready') return s;
        const session = sessionFromToken(token, s.config.claims);
        if (!session || isExpired(session)) return { ...s, session: null, message: 'That link holds no valid token.' };
        storeToken(token);
        return { ...s, session, message: null };
      });
    };
    window.addEventListener('hashchange', onHashChange);
    return () => window.removeEventListener('hashchange', onHashChange);
  }, [localMode]);

  const signOut = useCallback((reason?: string) => {
    clearToken();
    setState((s) => (s.status === 'ready' ? { ...s, session: null, message: reason ?? null } : s));
  }, []);

  if (state.status === 'loading') return <Loading label="Starting…" />;
  if (state.status === 'failed') return <ErrorNotice error={state.error} title="The billing page could not start" />;
  if (!state.session) {
    const { config } = state;
    return (
      <SignIn
        config={config}
        message={state.message}
        onToken={(token) => {
          const session = sessionFromToken(token, config.claims);
          if (!session) return;
          storeToken(token);
          setState({ status: 'ready', config, session, message: null });
        }}
      />
    );
  }
  // A new sign-in starts the page afresh (tabs, loaded data).
  return <App key={state.session.token} config={state.config} session={state.session} onSignOut={signOut} />;
};

const container = document.getElementById('root');
if (!container) throw new Error('index.html has no #root');
createRoot(container).render(
  <StrictMode>
    <Root />
  </StrictMode>,
);
