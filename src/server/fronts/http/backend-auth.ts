/** Authenticating a backend: the app named in the path and its secret as a bearer token. */
import type { IncomingMessage } from 'node:http';
import type { BackendApi } from '../../core/api.js';
import { secretsEqual } from '../../core/constant-time.js';
import type { LoginFailures } from '../login-failures.js';
import { HttpError } from './respond.js';

/**
 * Returns the app id when `Authorization: Bearer <secret>` matches the app's secret.
 * Unknown app and wrong secret give the same 401, so the API does not reveal which apps exist. An
 * address that failed too often (`logins`) is answered 429 before anything is compared.
 */
export function authenticateBackend(
  core: BackendApi,
  devId: string,
  req: IncomingMessage,
  logins?: { failures: LoginFailures; address: () => string },
): string {
  const address = logins?.address();
  const wait = address === undefined ? 0 : logins!.failures.retryAfter(address);
  if (wait > 0) {
    throw new HttpError(429, 'rate_limited', 'too many failed logins from this address; retry later', {
      'Retry-After': String(Math.ceil(wait / 1000)),
    });
  }
  const header = req.headers.authorization ?? '';
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  const app = core.getApp(devId);
  // Compare even when the app is unknown, so both refusals take the same time.
  const equal = secretsEqual(match?.[1] ?? '', app?.secret ?? '');
  if (!app || !match || !equal) {
    if (address !== undefined) logins!.failures.failed(address, devId);
    throw new HttpError(401, 'unauthorized', 'unknown app or wrong secret', {
      'WWW-Authenticate': 'Bearer realm="comet-chat"',
    });
  }
  return app.id;
}
