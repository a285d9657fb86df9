import { useState, type FormEvent } from 'react';
import type { PageConfig } from './config';
import { startSignIn } from './auth/oidc';

/** Signed out. Deployed: the hosted UI. Local: the link `npm start` prints, or a pasted token. */
export const SignIn = ({ config, message, onToken }: { config: PageConfig; message: string | null; onToken: (token: string) => void }) => {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const oidc = config.oidc;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (token.trim().split('.').length !== 3) {
      setError('That is not a token: a token has three parts separated by dots.');
      return;
    }
    onToken(token.trim());
  };

  return (
    <main className="signin">
      <h1>SecureNet Billing</h1>
      {message ? (
        <p className="notice notice-warning" role="alert">
          {message}
        </p>
      ) : null}
      {!config.local && !oidc ? (
        <p className="notice notice-warning" role="alert">
          Sign-in is not set up for this deployment: its config.json names no hosted sign-in (CDK context <code>cognitoDomainPrefix</code>).
        </p>
      ) : oidc ? (
        <>
          <p>Sign in with your SecureNet account to see your plan, usage and invoices.</p>
          <button
            type="button"
            onClick={() => {
              startSignIn(oidc).catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
            }}
          >
            Sign in
          </button>
          {error ? (
            <p className="notice notice-error" role="alert">
              {error}
            </p>
          ) : null}
        </>
      ) : (
        <>
          <p>
            Local mode: open the link <code>npm start</code> prints (<code>http://localhost:3000/#token=…</code>), or paste a token from{' '}
            <code>npm run token -- --tenant org-123</code>.
          </p>
          <form onSubmit={submit} className="stack">
            <label className="field" htmlFor="token-input">
              Token
            </label>
            <textarea id="token-input" rows={4} value={token} onChange={(e) => setToken(e.target.value)} aria-describedby={error ? 'token-error' : undefined} />
            {error ? (
              <p id="token-error" className="notice notice-error" role="alert">
                {error}
              </p>
            ) : null}
            <button type="submit">Sign in</button>
          </form>
        </>
      )}
    </main>
  );
};
