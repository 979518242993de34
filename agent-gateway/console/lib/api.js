// The console's only way to the gateway: the existing admin REST routes, same origin, with
// the admin bearer token. The tokens live in this module's memory only (never localStorage,
// sessionStorage or a cookie), so a reload logs out and there is no ambient credential to
// forge requests with. The access token is refreshed before it expires; logout revokes the
// session family on the server.
import { createSseParser } from './sse.js';

export class ApiError extends Error {
  constructor(status, problem, headers) {
    super(problem && typeof problem.detail === 'string' ? problem.detail : `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem ?? null;
    this.code = problem && typeof problem.code === 'string' ? problem.code : `HTTP_${status}`;
    this.headers = headers;
  }
}

let session = null; // { token, refresh, username, expiresAt }
let refreshTimer = undefined;
let refreshing = null;
const listeners = new Set();

export function currentUser() {
  return session ? session.username : null;
}

/** fn(user, reason) on login, logout and expiry; returns an unsubscribe function. */
export function onSessionChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function emit(reason) {
  for (const fn of [...listeners]) fn(currentUser(), reason);
}

function adopt(tokens, username) {
  const ttl = Number(tokens.expires_in) > 0 ? Number(tokens.expires_in) : 60;
  session = { token: String(tokens.token), refresh: String(tokens.refresh_token), username, expiresAt: Date.now() + ttl * 1000 };
  clearTimeout(refreshTimer);
  // refresh at 80 % of the lifetime (at least 5 s from now)
  refreshTimer = setTimeout(() => void refreshNow().catch(() => {}), Math.max(5_000, ttl * 800));
}

function drop(reason) {
  clearTimeout(refreshTimer);
  const had = session !== null;
  session = null;
  refreshing = null;
  if (had) emit(reason);
}

async function readBody(res) {
  const type = res.headers.get('content-type') ?? '';
  const text = await res.text();
  if (text === '') return undefined;
  if (type.includes('json')) {
    try {
      return JSON.parse(text);
    } catch {
      return undefined;
    }
  }
  return text;
}

async function post(path, body, token, credentials = 'omit') {
  const headers = { 'content-type': 'application/json', accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  return fetch(path, { method: 'POST', headers, body: JSON.stringify(body ?? {}), credentials, cache: 'no-store' });
}

export async function login(username, password) {
  // Only the login carries cookies: the gateway's HttpOnly `palisade_device` cookie (Path
  // /admin/login, SameSite=Strict) lets this browser log in even while someone else's failed
  // guesses throttle the account. It authorizes nothing; the admin token never goes in a cookie.
  const res = await post('/admin/login', { username, password }, undefined, 'same-origin');
  const body = await readBody(res);
  if (!res.ok) throw new ApiError(res.status, body, res.headers);
  adopt(body, String(username).toLowerCase());
  emit('login');
}

/** One refresh at a time; a failed refresh ends the session. */
export function refreshNow() {
  if (session === null) return Promise.reject(new ApiError(401, null, new Headers()));
  if (refreshing) return refreshing;
  const { refresh, username } = session;
  refreshing = (async () => {
    try {
      const res = await post('/admin/refresh', { refresh_token: refresh });
      const body = await readBody(res);
      if (!res.ok) {
        if (res.status === 401) drop('expired');
        throw new ApiError(res.status, body, res.headers);
      }
      adopt(body, username);
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

/**
 * Revokes the session on the gateway, then forgets it here. The page says "revoked" only once
 * the gateway has answered so (before, it dropped the session first and a check right after the
 * sign-in form appeared could still find the token valid); a gateway that cannot be reached
 * still ends the session in this page, and the page says the token was not revoked.
 */
export async function logout() {
  const s = session;
  if (s === null) return;
  clearTimeout(refreshTimer); // no rotation while the revoke is under way
  const revoked = await post('/admin/logout', {}, s.token).then((res) => res.ok, () => false);
  drop(revoked ? 'logout' : 'logout-unrevoked');
}

async function authorizedFetch(method, path, init) {
  if (session === null) throw new ApiError(401, { detail: 'Not logged in.' }, new Headers());
  let used = session.token;
  const go = () => {
    used = session.token;
    const headers = { accept: 'application/json', ...init.headers, authorization: `Bearer ${used}` };
    return fetch(path, { ...init, method, headers, credentials: 'omit', cache: 'no-store' });
  };
  let res = await go();
  if (res.status === 401 && session !== null) {
    await res.body?.cancel();
    // a refresh that finished meanwhile already rotated the token: just retry with the new one
    if (session.token === used) await refreshNow().catch(() => undefined);
    if (session === null) throw new ApiError(401, { detail: 'The session has ended; log in again.' }, res.headers);
    res = await go();
    if (res.status === 401) drop('expired');
  }
  return res;
}

/** JSON request; resolves {status, headers, body} for 2xx, else throws ApiError. */
export async function api(method, path, body) {
  const init = body === undefined ? { headers: {} } : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
  const res = await authorizedFetch(method, path, init);
  const parsed = await readBody(res);
  if (!res.ok) throw new ApiError(res.status, parsed, res.headers);
  return { status: res.status, headers: res.headers, body: parsed };
}

/** A raw authorized GET (exports); resolves the Response for 2xx, else throws ApiError. */
export async function download(path) {
  const res = await authorizedFetch('GET', path, { headers: { accept: '*/*' } });
  if (!res.ok) throw new ApiError(res.status, await readBody(res), res.headers);
  return res;
}

/**
 * Reads an SSE endpoint with fetch + a stream reader until it ends, fails or `signal` aborts.
 * Resolves when the server ends the stream; rejects on HTTP errors and network drops.
 */
export async function stream(path, { signal, onEvent, onOpen }) {
  const res = await authorizedFetch('GET', path, { headers: { accept: 'text/event-stream' }, signal });
  if (!res.ok || res.body === null) throw new ApiError(res.status, await readBody(res), res.headers);
  onOpen?.();
  const parser = createSseParser(onEvent);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      parser.push(value);
    }
  } finally {
    reader.releaseLock();
  }
}

/** Unauthenticated JSON GET (GET /health/ready answers 503 with a body when degraded). */
export async function publicJson(path) {
  const res = await fetch(path, { headers: { accept: 'application/json' }, credentials: 'omit', cache: 'no-store' });
  return { status: res.status, body: await readBody(res) };
}

/** Human text for an error, with Retry-After when the gateway sent one. */
export function describeError(error) {
  if (error instanceof ApiError) {
    const retry = error.headers?.get?.('retry-after');
    const base = error.problem && typeof error.problem.detail === 'string' ? error.problem.detail
      : error.problem && typeof error.problem.title === 'string' ? error.problem.title : `HTTP ${error.status}`;
    return `${base}${retry && !/retry in/i.test(base) ? ` Retry in ${retry} s.` : ''} (${error.code})`;
  }
  if (error && error.name === 'AbortError') return 'Cancelled.';
  return 'The gateway could not be reached.';
}
