// @ts-check
/** In-memory login sessions of the demo site, behind an HttpOnly, SameSite=Lax cookie. */
import { randomBytes } from 'node:crypto';

export const COOKIE = 'demo_session';

/** @typedef {{ login: string, id: number, name: string, key: string }} Session */

/**
 * @param {number} max the oldest sessions are dropped past this many, so the demo cannot be made to grow without end
 */
export function createSessions(max) {
  /** @type {Map<string, Session>} */
  const sessions = new Map();

  return {
    /**
     * @param {Session} session
     * @returns {{ sid: string, dropped?: Session }} the new session's id, and the oldest session when it made room
     */
    open(session) {
      const sid = randomBytes(24).toString('base64url');
      sessions.set(sid, session);
      if (sessions.size <= max) return { sid };
      const [oldest, dropped] = /** @type {[string, Session]} */ (sessions.entries().next().value);
      sessions.delete(oldest);
      return { sid, dropped };
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
