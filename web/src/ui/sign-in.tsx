/** Sign-in with a user name and password (a session cookie), or with an API token (the admin token in ~/.capstan/admin.token, or a personal one). */
import { useState, type FormEvent } from 'react';
import { apiJson, errorText, SESSION_MARK } from '../api/client.js';
import { whoAmI } from '../app.js';
import { ErrorBox } from './common.js';

/** The sign-in form; verifies the credentials with the server before keeping them. */
export function SignIn({ onSignedIn, notice }: { onSignedIn: (token: string) => void; notice?: string }) {
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [token, setToken] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const attempt = async (e: FormEvent, how: () => Promise<string>) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const t = await how();
      await whoAmI(t);
      onSignedIn(t);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  const withPassword = (e: FormEvent) =>
    attempt(e, async () => {
      if (!user.trim() || !password) throw new Error('Give your user name and password.');
      await apiJson('/auth/login', { method: 'POST', body: JSON.stringify({ user: user.trim(), password }), token: '' });
      return SESSION_MARK;
    });
  const withToken = (e: FormEvent) =>
    attempt(e, async () => {
      if (!token.trim()) throw new Error('Paste a token first.');
      return token.trim();
    });
  return (
    <main className="signin panel" id="main">
      <h1>Sign in to Capstan</h1>
      {notice ? <div className="alert info" role="status">{notice}</div> : null}
      <form onSubmit={withPassword}>
        <label className="field">
          <span>User</span>
          <input name="user" autoComplete="username" value={user} onChange={(e) => setUser(e.target.value)} autoFocus />
        </label>
        <label className="field">
          <span>Password</span>
          <input name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        <button className="primary" type="submit" disabled={busy}>{busy ? 'Checking…' : 'Sign in'}</button>
      </form>
      <ErrorBox error={error} title="Sign-in failed" />
      <form onSubmit={withToken}>
        <label className="field">
          <span>API token</span>
          <input name="token" type="password" autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)} placeholder="cap_…" />
        </label>
        <button type="submit" disabled={busy}>Sign in with a token</button>
      </form>
      <p className="muted small">
        The first start makes the user <code>admin</code> with its password in <code>~/.capstan/admin.password</code>, and an admin token in <code>~/.capstan/admin.token</code>. Tokens work for the <code>capstan</code> CLI too (<code>capstan tokens create</code>).
      </p>
    </main>
  );
}
