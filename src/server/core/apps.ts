/** The apps (tenants) a server knows: dev id, secret, allowed origins, receipt mode, webhook reach. */
import { randomBytes } from 'node:crypto';
import type { Quota } from './limits.js';

/** App ids share the pipe charset so they can be embedded in room and key names safely. */
export const APP_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** The demo app: always present, any origin may connect. */
export const DEFAULT_APP_ID = '1';

export interface App {
  id: string;
  secret: string;
  /** Origins allowed to open browser connections, or '*' for any. */
  origins: readonly string[] | '*';
  /** Count delivery receipts acknowledged by receivers instead of connections handed to. */
  receipts: boolean;
  /** May the webhook target private, loopback, link-local… addresses? Absent: no. */
  allowPrivateWebhooks?: boolean;
  /** Storage the app may use (the server's quota with the app's own values over it). */
  quota: Quota;
  /** How long authors may edit or delete their messages, in seconds; 0 = never. Absent: DEFAULT_EDIT_WINDOW_SECONDS. */
  editWindowSeconds?: number;
  /** What an author's delete leaves: a tombstone (data null, `deleted`) or nothing. Absent: tombstone. */
  deleteMode?: DeleteMode;
  /** The emojis offered as reactions (at most REACTION_SET_MAX). Absent: DEFAULT_REACTIONS. */
  reactions?: readonly string[];
}

export type DeleteMode = 'tombstone' | 'vanish';

/** A fresh secret: 32 random bytes, URL-safe. */
export function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}

export class AppRegistry {
  private readonly apps = new Map<string, App>();

  constructor(apps: Iterable<App>) {
    for (const app of apps) this.apps.set(app.id, app);
  }

  get(id: string): App | undefined {
    return this.apps.get(id);
  }

  all(): App[] {
    return [...this.apps.values()];
  }

  /**
   * May a page from `origin` connect to this app? Connections without an Origin header are not
   * browsers (a server-side client could send any header anyway), so they are let through.
   */
  allowsOrigin(app: App, origin: string | undefined): boolean {
    return app.origins === '*' || origin === undefined || app.origins.includes(origin);
  }
}
