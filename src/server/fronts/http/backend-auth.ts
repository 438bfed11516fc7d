/** Authenticating a backend: the app named in the path and its secret as a bearer token. */
import type { IncomingMessage } from 'node:http';
import type { BackendApi } from '../../core/api.js';
import { secretsEqual } from '../../core/constant-time.js';
import { HttpError } from './respond.js';

/**
 * Returns the app id when `Authorization: Bearer <secret>` matches the app's secret.
 * Unknown app and wrong secret give the same 401, so the API does not reveal which apps exist.
 */
export function authenticateBackend(core: BackendApi, devId: string, req: IncomingMessage): string {
  const header = req.headers.authorization ?? '';
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  const app = core.getApp(devId);
  // Compare even when the app is unknown, so both refusals take the same time.
  const equal = secretsEqual(match?.[1] ?? '', app?.secret ?? '');
  if (!app || !match || !equal) {
    throw new HttpError(401, 'unauthorized', 'unknown app or wrong secret', {
      'WWW-Authenticate': 'Bearer realm="comet-chat"',
    });
  }
  return app.id;
}
