/** Who a new connection is: from a registered user key or a signed token; anything wrong ⇒ anonymous with a reason. */
import type { AuthInfo } from '../../protocol/wire.js';
import { isValidUserKey } from '../../protocol/names.js';
import type { Store } from '../store/types.js';
import type { App } from './apps.js';
import { secretsEqual } from './constant-time.js';
import { verifyToken } from './tokens.js';

export interface Credentials {
  user_id?: string | number;
  user_key?: string;
  token?: string;
}

/** Who the credentials say the connection is; the core completes it into the AuthInfo. */
export type UserIdentity = Pick<AuthInfo, 'authorized' | 'user_id' | 'user_name' | 'reason'>;

const ANONYMOUS: UserIdentity = { authorized: false, user_id: 0 };

/** `nowMs`: the core's clock. Without credentials the answer comes at once, not as a promise. */
export function authenticateUser(
  store: Store,
  app: App,
  creds: Credentials,
  nowMs: number,
): UserIdentity | Promise<UserIdentity> {
  if (creds.token === undefined && creds.user_id === undefined && creds.user_key === undefined) return ANONYMOUS;
  return lookUpUser(store, app, creds, nowMs);
}

async function lookUpUser(store: Store, app: App, creds: Credentials, nowMs: number): Promise<UserIdentity> {
  if (creds.token !== undefined) {
    const check = await verifyToken(app.secret, creds.token, Math.floor(nowMs / 1000));
    if (!check.ok) return { ...ANONYMOUS, reason: check.reason };
    if (await store.isTokenRevoked(app.id, creds.token)) return { ...ANONYMOUS, reason: 'revoked_token' };
    const { user_id, name } = check.claims;
    return name === undefined ? { authorized: true, user_id } : { authorized: true, user_id, user_name: name };
  }
  const userId = Number(creds.user_id);
  if (!Number.isSafeInteger(userId) || userId <= 0 || !isValidUserKey(creds.user_key)) {
    return { ...ANONYMOUS, reason: 'bad_key' };
  }
  const record = await store.getUserKey(app.id, userId);
  if (!record || !secretsEqual(creds.user_key, record.key)) return { ...ANONYMOUS, reason: 'bad_key' };
  return record.name === undefined
    ? { authorized: true, user_id: userId }
    : { authorized: true, user_id: userId, user_name: record.name };
}
