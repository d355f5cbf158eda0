/** Sign-in with an API token (the admin token printed by `capstan up`, or one from a token file). */
import { useState, type FormEvent } from 'react';
import { errorText } from '../api/client.js';
import { whoAmI } from '../app.js';
import { ErrorBox } from './common.js';

/** The sign-in form; verifies the token with the server before keeping it. */
export function SignIn({ onSignedIn, notice }: { onSignedIn: (token: string) => void; notice?: string }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const t = token.trim();
    if (!t) return setError('Paste a token first.');
    setBusy(true);
    setError(undefined);
    try {
      await whoAmI(t);
      onSignedIn(t);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="signin panel" id="main">
      <h1>Sign in to Capstan</h1>
      {notice ? <div className="alert info" role="status">{notice}</div> : null}
      <form onSubmit={submit}>
        <label className="field">
          <span>API token</span>
          <input name="token" type="password" autoComplete="current-password" value={token} onChange={(e) => setToken(e.target.value)} placeholder="cap_…" autoFocus />
        </label>
        <ErrorBox error={error} title="Sign-in failed" />
        <button className="primary" type="submit" disabled={busy}>{busy ? 'Checking…' : 'Sign in'}</button>
      </form>
      <p className="muted small">
        The server prints the admin token when it first starts and keeps it in <code>~/.capstan/admin.token</code>. The same token works for the <code>capstan</code> CLI.
      </p>
    </main>
  );
}
