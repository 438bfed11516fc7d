// @ts-check
/**
 * The demo site's backend: the seed's authChat.php, redone as a small Node module.
 * The server mounts it through the HTTP front's `extraRoutes` hook when started with --demo:
 *
 *   const { createDemoBackend } = await import('<package>/demo/backend/index.js');
 *   extraRoutes = createDemoBackend({ secret: app1Secret });
 *
 * Routes (everything else is left to the static demo pages):
 *   POST /auth/login    form login + pass; registers a fresh key for the user through /api/v1,
 *                       publishes loginPipe/userLogin {name}, sets the session cookie
 *   GET  /auth/session  { user: { user_id, user_key, name, login } } for the chat page; { user: null }
 *                       when not logged in
 *   POST /auth/logout   publishes loginPipe/userExit {name}, removes the key, ends the session
 *                       (both POSTs are refused when the browser says they come from another origin)
 *   GET  /csp/          the paste-one-tag page, served with a strict Content-Security-Policy and
 *                       https://SERVER in its snippet replaced by this server's origin
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { cometApi } from './comet-api.js';
import { clearedCookie, createSessions, readSessionId, sessionCookie } from './sessions.js';
import { checkPassword } from './users.js';

/** The pipe of join / leave notices, as in the seed; only a backend may publish into it. */
export const LOGIN_PIPE = 'loginPipe';
/** The strict policy of the bare page: no inline script or style anywhere. */
export const STRICT_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
  "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const CSP_PAGE = new URL('../csp/index.html', import.meta.url);
/** A login form is a few dozen bytes; anything much larger is not one. */
const MAX_FORM_BYTES = 4096;

/**
 * @typedef {import('node:http').IncomingMessage} Req
 * @typedef {import('node:http').ServerResponse} Res
 */

/**
 * @param {{ secret: string, devId?: string, apiUrl?: string, maxSessions?: number }} options
 *   secret: the app's secret (the server hands app 1's); devId: default "1";
 *   apiUrl: the server's origin for /api/v1 calls; default: the address the request came in on;
 *   maxSessions: past this many the oldest session is logged out; default 1000.
 * @returns {(req: Req, res: Res) => Promise<boolean>} true when it answered the request
 */
export function createDemoBackend({ secret, devId = '1', apiUrl, maxSessions = 1000 }) {
  const sessions = createSessions(maxSessions);
  /** Live sessions per login: the user's key is removed only when the last one logs out. */
  const openCount = new Map();
  /** @type {Map<string, string>} one key per logged-in user, shared by that user's sessions */
  const keys = new Map();

  /** @param {Req} req */
  const api = (req) => cometApi({ apiUrl: apiUrl ?? ownOrigin(req), devId, secret });

  /**
   * Ends the request's session, if any.
   * @param {Req} req
   */
  async function endSession(req) {
    const sid = readSessionId(req.headers.cookie);
    const session = sessions.get(sid);
    if (sid === undefined || !session) return;
    sessions.close(sid);
    await release(session, api(req));
  }

  /**
   * What a logout does past the session itself: announces the exit and removes the key with the user's last session.
   * @param {import('./sessions.js').Session} session @param {ReturnType<typeof cometApi>} comet
   */
  async function release(session, comet) {
    await comet.publish(LOGIN_PIPE, 'userExit', { name: session.name });
    const left = (openCount.get(session.login) ?? 1) - 1;
    if (left > 0) openCount.set(session.login, left);
    else {
      openCount.delete(session.login);
      keys.delete(session.login);
      await comet.removeUserKey(session.id);
    }
  }

  /** @param {Req} req @param {Res} res */
  async function login(req, res) {
    const body = await readBody(req);
    if (body === null) return json(res, 413, { error: 'too_large' });
    const form = new URLSearchParams(body);
    const user = checkPassword(form.get('login') ?? '', form.get('pass') ?? '');
    if (!user) return redirect(res, '/auth/?error=1');
    // A login over a live session replaces it (a fresh id, never the old one): left open, that session
    // would hold its user's key on the server forever, as nobody could log it out any more.
    await endSession(req);
    const comet = api(req);
    const key = keys.get(user.login) ?? randomBytes(16).toString('hex');
    await comet.setUserKey(user.id, key, user.name);
    keys.set(user.login, key);
    openCount.set(user.login, (openCount.get(user.login) ?? 0) + 1);
    await comet.publish(LOGIN_PIPE, 'userLogin', { name: user.name });
    const { sid, dropped } = sessions.open({ login: user.login, id: user.id, name: user.name, key });
    // A dropped session is logged out, or its user's key would stay on the server for good.
    if (dropped) await release(dropped, comet);
    redirect(res, '/auth/chat.html', { 'Set-Cookie': sessionCookie(sid) });
  }

  /** @param {Req} req @param {Res} res */
  async function logout(req, res) {
    await drain(req);
    await endSession(req);
    redirect(res, '/auth/?bye=1', { 'Set-Cookie': clearedCookie() });
  }

  /** @param {Req} req @param {Res} res */
  function session(req, res) {
    const s = sessions.get(readSessionId(req.headers.cookie));
    json(res, 200, { user: s ? { user_id: s.id, user_key: s.key, name: s.name, login: s.login } : null });
  }

  /** @param {Req} req @param {Res} res */
  async function cspPage(req, res) {
    const html = Buffer.from((await readFile(CSP_PAGE, 'utf8')).replaceAll('https://SERVER', pageOrigin(req)));
    res.writeHead(200, {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Length': html.length,
      'Content-Security-Policy': STRICT_CSP,
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
    });
    res.end(req.method === 'HEAD' ? undefined : html);
  }

  /** @type {Record<string, Record<string, (req: Req, res: Res) => unknown>>} path -> method -> handler */
  const routes = {
    '/auth/login': { POST: login },
    '/auth/logout': { POST: logout },
    '/auth/session': { GET: session },
    '/csp/': { GET: cspPage, HEAD: cspPage },
    '/csp/index.html': { GET: cspPage, HEAD: cspPage },
    '/csp': { GET: (_req, res) => redirect(res, '/csp/') },
  };

  return async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://demo').pathname;
    // This folder is server code, not a page of the demo site.
    if (path.startsWith('/backend/')) {
      json(res, 404, { error: 'not_found' });
      return true;
    }
    const byMethod = routes[path];
    if (!byMethod) return false;
    const handler = byMethod[req.method ?? 'GET'];
    if (!handler) {
      res.writeHead(405, { Allow: Object.keys(byMethod).join(', '), 'Content-Length': 0 });
      res.end();
      return true;
    }
    // The cookie's SameSite=Lax keeps it off cross-site POSTs; this also stops a foreign page from
    // logging a visitor in under the foreign page's choice of user (login CSRF).
    if (req.method === 'POST' && crossSite(req)) {
      json(res, 403, { error: 'cross_site' });
      return true;
    }
    await handler(req, res);
    return true;
  };
}

/**
 * True when the browser says the request comes from a page of another origin. Browsers send
 * Origin on every form POST; without one (a script, curl) there is no browser to misuse. Behind a
 * proxy that rewrites Host, the host the browser used is in X-Forwarded-Host.
 * @param {Req} req
 */
function crossSite(req) {
  const origin = req.headers.origin;
  if (origin === undefined) return false;
  if (!URL.canParse(origin)) return true;
  const host = new URL(origin).host;
  return host !== req.headers.host && host !== req.headers['x-forwarded-host'];
}

/**
 * The origin this request reached, to call the same server's /api/v1 from inside it.
 * @param {Req} req
 */
function ownOrigin(req) {
  const address = (req.socket.localAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
  const host = address.includes(':') ? `[${address}]` : address;
  return `http://${host}:${req.socket.localPort}`;
}

/**
 * The origin the browser used to reach this page, from the Host header (checked, since it is the
 * client's word) and a proxy's X-Forwarded-Proto; the socket's own address when Host is unusable.
 * @param {Req} req
 */
function pageOrigin(req) {
  const host = req.headers.host ?? '';
  if (!/^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?$/.test(host)) return ownOrigin(req);
  return `${req.headers['x-forwarded-proto'] === 'https' ? 'https' : 'http'}://${host}`;
}

/**
 * The request body as text, or null when it is larger than a login form can be.
 * @param {Req} req @returns {Promise<string | null>}
 */
async function readBody(req) {
  let size = 0;
  const chunks = [];
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** @param {Req} req */
async function drain(req) {
  for await (const _ of req);
}

/** @param {Res} res @param {string} location @param {Record<string, string>} [headers] */
function redirect(res, location, headers = {}) {
  res.writeHead(303, { Location: location, 'Cache-Control': 'no-store', 'Content-Length': 0, ...headers });
  res.end();
}

/** @param {Res} res @param {number} status @param {unknown} body */
function json(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  res.end(text);
}
