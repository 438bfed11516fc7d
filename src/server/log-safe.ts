/** Text fit for a log line or an error message, from values that may carry credentials. */

/**
 * A URL without its user, password, query and fragment: `redis://:pw@db:6379/0?x` → `redis://db:6379/0`.
 * Queries go too: webhook URLs carry the receiver's token there.
 */
export function urlForLog(url: string): string {
  if (!URL.canParse(url)) return '(unparsable URL)';
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname}`;
}
