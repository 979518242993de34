// Username/password login through POST /admin/login (PBKDF2 on the server). A 429 shows the
// Retry-After countdown and keeps the button disabled until it has passed.
import { html, useEffect, useState } from '../lib/html.js';
import { ApiError, describeError, login } from '../lib/api.js';
import { useNow } from './ui.js';

export function Login({ notice }) {
  const [username, setUsername] = useState('admin');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [retryUntil, setRetryUntil] = useState(0);
  const now = useNow(500);
  const waiting = retryUntil > now;

  useEffect(() => {
    document.title = 'Log in · Palisade console';
  }, []);

  const submit = async (e) => {
    e.preventDefault();
    if (busy || waiting) return;
    setBusy(true);
    setError('');
    try {
      await login(username.trim(), password);
    } catch (err) {
      if (err instanceof ApiError && err.status === 429) {
        const s = Number(err.headers.get('retry-after'));
        setRetryUntil(Date.now() + (Number.isFinite(s) && s > 0 ? s : 60) * 1000);
        setError('Too many failed attempts.');
      } else if (err instanceof ApiError && err.status === 401) {
        setError('Invalid username or password.');
      } else if (err instanceof ApiError && err.status === 422) {
        setError('Enter a username and a password.');
      } else {
        setError(describeError(err));
      }
      setPassword('');
    } finally {
      setBusy(false);
    }
  };

  return html`<main class="login-page">
    <form class="login-card" onSubmit=${submit} aria-labelledby="login-title" novalidate>
      <div class="brand brand-large"><span class="brand-mark" aria-hidden="true"></span>Palisade</div>
      <h1 id="login-title">Operator console</h1>
      <p class="muted">Sign in with an admin account to review approvals, the kill switch and the audit log.</p>
      ${notice && html`<div class="alert alert-info" role="status">${notice}</div>`}
      <div class="field">
        <label for="login-username">Username</label>
        <input id="login-username" name="username" autocomplete="username" value=${username} maxlength="64" required
          onInput=${(e) => setUsername(e.currentTarget.value)} />
      </div>
      <div class="field">
        <label for="login-password">Password</label>
        <input id="login-password" name="password" type="password" autocomplete="current-password" value=${password} maxlength="1024" required
          autofocus onInput=${(e) => setPassword(e.currentTarget.value)} />
      </div>
      ${error && html`<div class="alert alert-error" role="alert" id="login-error">
        ${error}${waiting && html` <span class="retry">Try again in <strong>${Math.ceil((retryUntil - now) / 1000)} s</strong>.</span>`}
      </div>`}
      <button class="btn btn-primary btn-block" type="submit" disabled=${busy || waiting || password === ''}>
        ${busy ? 'Signing in…' : waiting ? 'Please wait…' : 'Sign in'}
      </button>
      <p class="hint">The session lives in this tab's memory only: reloading or closing the tab signs you out.</p>
    </form>
  </main>`;
}
