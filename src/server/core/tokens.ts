/**
 * Signed user tokens: HS256 JWTs over the app secret. Claims: `user_id` (a positive integer),
 * optional `name`, `exp` (unix seconds). Backends may sign their own with any JWT
 * library, so verification is jose's (it also honours `nbf` and refuses unknown `crit` headers);
 * signing is a few lines of node:crypto and stays synchronous.
 */
import { createHmac } from 'node:crypto';
import { decodeJwt, errors, jwtVerify } from 'jose';

export interface TokenClaims {
  user_id: number;
  name?: string;
  exp: number;
}

export type TokenCheck = { ok: true; claims: TokenClaims } | { ok: false; reason: 'bad_token' | 'expired_token' };

/** Clocks of the backend that signed and of this server may differ by this much (seconds). */
export const TOKEN_CLOCK_TOLERANCE_S = 30;

const HEADER = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

function base64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}

export function signToken(secret: string, claims: TokenClaims): string {
  const body = `${HEADER}.${base64url(JSON.stringify(claims))}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

/** Checks signature, algorithm, `exp`/`nbf` and the claims' types (not revocation: that needs the store). */
export async function verifyToken(secret: string, token: string, nowSeconds: number): Promise<TokenCheck> {
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, new TextEncoder().encode(secret), {
      algorithms: ['HS256'],
      requiredClaims: ['exp'],
      currentDate: new Date(nowSeconds * 1000),
      clockTolerance: TOKEN_CLOCK_TOLERANCE_S,
    }));
  } catch (err) {
    return { ok: false, reason: err instanceof errors.JWTExpired ? 'expired_token' : 'bad_token' };
  }
  const { user_id, name, exp } = payload;
  if (typeof user_id !== 'number' || !Number.isSafeInteger(user_id) || user_id <= 0)
    return { ok: false, reason: 'bad_token' };
  if (name !== undefined && typeof name !== 'string') return { ok: false, reason: 'bad_token' };
  const claims: TokenClaims = { user_id, exp: exp as number };
  if (name !== undefined) claims.name = name;
  return { ok: true, claims };
}

/** The `exp` claim of a token without checking it (for remembering when a revocation may be forgotten). */
export function peekExpiry(token: string): number | null {
  try {
    const { exp } = decodeJwt(token);
    return typeof exp === 'number' ? exp : null;
  } catch {
    return null;
  }
}
