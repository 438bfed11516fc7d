/**
 * Decides whether a URL written in a message becomes a link, and what the link shows. Only absolute http(s)
 * URLs that `new URL()` parses become links, never one naming a user (`https://google.com@evil.example/` goes
 * to evil.example), and the text shown never misleads about where the link goes:
 * - with a bidi control or an invisible character in it, the link shows the URL as the browser will open it,
 *   percent-encoded (`https://evil.example/\u202Egnp.exe` cannot read as "exe.png");
 * - an internationalised host shows as typed only when its letters do not mix scripts and the browser opens
 *   exactly it; otherwise it shows as punycode (`xn--…`), as the browser's address bar would.
 */
export interface Link {
  /** Where it goes: the normalized URL. */
  href: string;
  /** What it shows. */
  text: string;
}

/** Bidi controls, zero-width and other invisible characters. */
const INVISIBLE = /[\u00ad\u061c\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]/;
/**
 * Letters of Latin, Cyrillic, Greek, and of any other script: a host with letters from two of these groups mixes
 * scripts (as `аpple.com` with a Cyrillic "а" does) and shows as punycode.
 */
const SCRIPT_GROUPS = [/\p{sc=Latn}/u, /\p{sc=Cyrl}/u, /\p{sc=Grek}/u, /(?![\p{sc=Latn}\p{sc=Cyrl}\p{sc=Grek}])\p{L}/u];

/** The link a candidate URL makes, or undefined when it must stay text (also when anything about it fails to parse). */
export function safeLink(raw: string): Link | undefined {
  try {
    const url = new URL(raw);
    const [, scheme, authority = '', rest = ''] = /^(https?:\/\/)([^/?#\\]*)([^]*)$/i.exec(raw) ?? [];
    if (!/^https?:$/.test(url.protocol) || !scheme || authority.includes('@')) return undefined;
    return {
      href: url.href,
      text: INVISIBLE.test(raw) || rest.includes('\\') ? url.href : scheme + shownHost(authority, url) + rest,
    };
  } catch {
    return undefined;
  }
}

/**
 * The authority as typed when its host is the one the browser opens and does not mix scripts; else the host as
 * the browser opens it (punycode for an internationalised one; percent-escapes decoded, IPv6 as written there).
 */
function shownHost(authority: string, url: URL): string {
  const [, host = '', port = ''] = /^(.*?)(:\d*)?$/.exec(authority) ?? [];
  return (
    (!/[%[]/.test(host) && oneScript(host) && new URL(`http://${host}/`).hostname === url.hostname
      ? host
      : url.hostname) + port
  );
}

function oneScript(host: string): boolean {
  return SCRIPT_GROUPS.filter((re) => re.test(host)).length < 2;
}
