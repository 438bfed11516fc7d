/**
 * Signed user tokens: compact HS256 JWTs over the app secret (node:crypto only).
 * Claims: `user_id` (positive integer), optional `name`, `exp` (unix seconds).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface TokenClaims {
  user_id: number;
  name?: string;
  exp: number;
}

export type TokenCheck = { ok: true; claims: TokenClaims } | { ok: false; reason: 'bad_token' | 'expired_token' };

const HEADER = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

function base64url(text: string | Buffer): string {
  return Buffer.from(text).toString('base64url');
}

function sign(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body).digest('base64url');
}

export function signToken(secret: string, claims: TokenClaims): string {
  const body = `${HEADER}.${base64url(JSON.stringify(claims))}`;
  return `${body}.${sign(secret, body)}`;
}

/** Checks signature, algorithm, claim types and expiry (not revocation: that needs the store). */
export function verifyToken(secret: string, token: string, nowSeconds = Math.floor(Date.now() / 1000)): TokenCheck {
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'bad_token' };
  const [header, payload, signature] = parts as [string, string, string];
  const expected = Buffer.from(sign(secret, `${header}.${payload}`));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'bad_token' };
  let head: unknown;
  let claims: unknown;
  try {
    head = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'bad_token' };
  }
  if (!isRecord(head) || head.alg !== 'HS256' || !isRecord(claims)) return { ok: false, reason: 'bad_token' };
  const { user_id, name, exp } = claims;
  if (typeof user_id !== 'number' || !Number.isSafeInteger(user_id) || user_id <= 0) return { ok: false, reason: 'bad_token' };
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return { ok: false, reason: 'bad_token' };
  if (name !== undefined && typeof name !== 'string') return { ok: false, reason: 'bad_token' };
  if (exp <= nowSeconds) return { ok: false, reason: 'expired_token' };
  return { ok: true, claims: name === undefined ? { user_id, exp } : { user_id, name, exp } };
}

/** The `exp` claim of a token without checking it (for remembering when a revocation may be forgotten). */
export function peekExpiry(token: string): number | null {
  try {
    const claims: unknown = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
    return isRecord(claims) && typeof claims.exp === 'number' ? claims.exp : null;
  } catch {
    return null;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
