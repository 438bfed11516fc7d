/**
 * Settings the publish path reads on every message (an app's webhook URL, a pipe's history length),
 * kept briefly so a publish does not cost extra store round trips (Redis in a cluster). A change made
 * on this node is seen at once; other nodes are told through the Fanout, and the short lifetime
 * bounds how long a lost notice or a read racing the change can leave a stale value.
 */

/** How long a cached setting is trusted. */
export const SETTINGS_TTL_MS = 2000;
/** Cached pipe lengths kept at most (pipes are unbounded; the oldest entry goes first). */
const MAX_ENTRIES = 10_000;

export class SettingsCache<V> {
  private readonly entries = new Map<string, { value: Promise<V>; until: number }>();

  constructor(private readonly ttlMs = SETTINGS_TTL_MS) {}

  /** The cached value, or `load()`'s (shared by concurrent callers; a failed load is not kept). */
  get(key: string, load: () => Promise<V>, now: number): Promise<V> {
    const hit = this.entries.get(key);
    if (hit && hit.until > now) return hit.value;
    this.entries.delete(key);
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    const value = load();
    const entry = { value, until: now + this.ttlMs };
    this.entries.set(key, entry);
    value.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    return value;
  }

  forget(key: string): void {
    this.entries.delete(key);
  }
}
