// @ts-check
/** In-memory login sessions of the demo site, behind an HttpOnly, SameSite=Lax cookie. */
import { randomBytes } from 'node:crypto';

export const COOKIE = 'demo_session';
/** Oldest sessions are dropped past this many, so the demo cannot be made to grow without end. */
const MAX_SESSIONS = 1000;

/** @typedef {{ login: string, id: number, name: string, key: string }} Session */

export function createSessions() {
  /** @type {Map<string, Session>} */
  const sessions = new Map();

  return {
    /** @param {Session} session @returns {string} the session id */
    open(session) {
      const sid = randomBytes(24).toString('base64url');
      sessions.set(sid, session);
      if (sessions.size > MAX_SESSIONS) sessions.delete(/** @type {string} */ (sessions.keys().next().value));
      return sid;
    },
    /** @param {string | undefined} sid */
    get: (sid) => (sid === undefined ? undefined : sessions.get(sid)),
    /** @param {string} sid */
    close: (sid) => sessions.delete(sid),
  };
}

/** @param {string} sid */
export const sessionCookie = (sid) => `${COOKIE}=${sid}; Path=/; HttpOnly; SameSite=Lax`;
export const clearedCookie = () => `${COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`;

/**
 * The session id from a Cookie header.
 * @param {string | undefined} header
 */
export function readSessionId(header) {
  for (const part of (header ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === COOKIE) return value.join('=') || undefined;
  }
  return undefined;
}
