import { MSG_PIPE, formatSubscription, parseSubscription, type Subscription } from '../protocol/names.js';

/** The set of `pipe` / `pipe.event` targets a client wants, and which messages they let through. */
export class SubscriptionSet {
  private readonly _byTarget = new Map<string, Subscription>();

  /** Parses and adds a target; returns its canonical form, or null when the name is invalid. */
  add(target: string): string | null {
    const sub = parseSubscription(target);
    if (!sub) return null;
    const key = formatSubscription(sub);
    this._byTarget.set(key, sub);
    return key;
  }

  /** Removes a target; returns true when it was there. */
  delete(target: string): boolean {
    return this._byTarget.delete(target);
  }

  targets(): string[] {
    return [...this._byTarget.keys()];
  }

  /** Distinct pipes among the targets. */
  pipes(): string[] {
    return [...new Set([...this._byTarget.values()].map((s) => s.pipe))];
  }

  hasPipe(pipe: string): boolean {
    for (const s of this._byTarget.values()) if (s.pipe === pipe) return true;
    return false;
  }

  /** Does some target want this message? Personal messages (`msg`) always pass. */
  wants(pipe: string, event: string): boolean {
    if (pipe === MSG_PIPE) return true;
    for (const s of this._byTarget.values()) if (matches(s, pipe, event)) return true;
    return false;
  }

  /** The targets that take this message (for callers that keep listeners per target). */
  matching(pipe: string, event: string): string[] {
    const hits: string[] = [];
    for (const [target, s] of this._byTarget) if (matches(s, pipe, event)) hits.push(target);
    return hits;
  }
}

function matches(s: Subscription, pipe: string, event: string): boolean {
  return s.pipe === pipe && (s.event === undefined || s.event === event);
}
