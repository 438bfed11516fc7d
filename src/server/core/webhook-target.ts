/**
 * Where a webhook may point. One rule for the URL (the API, the config file and the core all use
 * it) and one for the address a request connects to: private, loopback, link-local and other
 * non-public addresses are refused unless the app is allowed them in the server config, so a
 * tenant cannot make the server call into its own network (Redis, cloud metadata, admin pages).
 *
 * The URL is checked when it is set (literal addresses and `localhost` names), and the address is
 * checked again on every connection, after DNS: a name that resolves, or later re-resolves, to a
 * refused address never receives a request.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions, type LookupOneOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { z } from 'zod';

/** Longest accepted webhook URL. */
export const WEBHOOK_URL_MAX = 2048;

/** What is wrong with a webhook URL as written, or undefined: absolute http(s), no user or password, at most 2048 characters. */
export function webhookUrlProblem(url: string): string | undefined {
  if (url.length > WEBHOOK_URL_MAX) return `the webhook URL is over ${WEBHOOK_URL_MAX} characters`;
  if (!URL.canParse(url)) return 'the webhook must be an absolute http(s) URL';
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'the webhook must be an absolute http(s) URL';
  // Requests would carry them in clear and logs could show them: a token belongs in the path or query.
  if (parsed.username !== '' || parsed.password !== '') return 'the webhook URL must not carry a user or password';
  return undefined;
}

/** The URL rule as a schema field, for the HTTP API and the config file. */
export const webhookUrlSchema = z.string().superRefine((url, ctx) => {
  const problem = webhookUrlProblem(url);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

/**
 * Why the URL's host is refused as a target for an app not allowed private targets (`127.0.0.1, a
 * loopback address`), or undefined.
 * Knows literal addresses in every spelling the URL parser accepts (`2130706433`, `0x7f.1`,
 * `[::ffff:127.0.0.1]` all arrive here as canonical addresses) and the `localhost` names; other names
 * are judged when they are resolved (see guardedLookup).
 */
export function refusedHost(url: string): string | undefined {
  const host = new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
  if (isIP(host) !== 0) {
    const kind = refusedAddress(host);
    return kind === undefined ? undefined : `${host}, ${kind}`;
  }
  if (/(^|\.)localhost\.?$/i.test(host)) return `${host}, a loopback name`;
  return undefined;
}

/** IPv4 ranges that are not the public internet, each with what it is. */
const IPV4_RANGES: [string, number, string][] = [
  ['0.0.0.0', 8, 'an unspecified address'],
  ['10.0.0.0', 8, 'a private address'],
  ['100.64.0.0', 10, 'a shared (carrier-grade NAT) address'],
  ['127.0.0.0', 8, 'a loopback address'],
  ['169.254.0.0', 16, 'a link-local address'],
  ['172.16.0.0', 12, 'a private address'],
  ['192.0.0.0', 24, 'a reserved address'],
  ['192.0.2.0', 24, 'a documentation address'],
  ['192.88.99.0', 24, 'a reserved address'],
  ['192.168.0.0', 16, 'a private address'],
  ['198.18.0.0', 15, 'a reserved address'],
  ['198.51.100.0', 24, 'a documentation address'],
  ['203.0.113.0', 24, 'a documentation address'],
  ['224.0.0.0', 4, 'a multicast address'],
  ['240.0.0.0', 4, 'a reserved address'],
];

/** IPv6 ranges that are not the public internet. More specific ones first: the first match names the kind. */
const IPV6_RANGES: [string, number, string][] = [
  ['::', 128, 'an unspecified address'],
  ['::1', 128, 'a loopback address'],
  // IPv4-compatible addresses (deprecated); the IPv4-mapped ones are judged by their IPv4 part below.
  ['::', 96, 'a reserved address'],
  ['64:ff9b:1::', 48, 'a private address'],
  ['100::', 64, 'a reserved address'],
  ['2001:db8::', 32, 'a documentation address'],
  ['fc00::', 7, 'a unique-local address'],
  ['fe80::', 10, 'a link-local address'],
  ['fec0::', 10, 'a site-local address'],
  ['ff00::', 8, 'a multicast address'],
];

/**
 * One BlockList per kind. IPv4 ranges are also blocked where IPv6 carries an IPv4 address: mapped
 * (`::ffff:a.b.c.d`, which BlockList matches against IPv4 rules itself), NAT64 (`64:ff9b::a.b.c.d`)
 * and 6to4 (`2002:aabb:ccdd::`), since each of these can reach the IPv4 host.
 */
const REFUSED: [string, BlockList][] = (() => {
  const byKind = new Map<string, BlockList>();
  const list = (kind: string): BlockList => {
    let found = byKind.get(kind);
    if (!found) byKind.set(kind, (found = new BlockList()));
    return found;
  };
  for (const [address, prefix, kind] of IPV6_RANGES) list(kind).addSubnet(address, prefix, 'ipv6');
  for (const [address, prefix, kind] of IPV4_RANGES) {
    list(kind).addSubnet(address, prefix, 'ipv4');
    list(kind).addSubnet(`64:ff9b::${address}`, 96 + prefix, 'ipv6');
    list(kind).addSubnet(`2002:${ipv4AsHexGroups(address)}::`, 16 + prefix, 'ipv6');
  }
  return [...byKind.entries()];
})();

function ipv4AsHexGroups(address: string): string {
  const [a, b, c, d] = address.split('.').map(Number) as [number, number, number, number];
  return `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
}

/** What kind of non-public address `ip` is ("a loopback address"…), or undefined for a public one. */
export function refusedAddress(ip: string): string | undefined {
  const family = isIP(ip);
  if (family === 0) return 'not an address';
  const type = family === 4 ? 'ipv4' : 'ipv6';
  for (const [kind, list] of REFUSED) if (list.check(ip, type)) return kind;
  return undefined;
}

/** A target refused at connect time: final, never retried. */
export class RefusedTargetError extends Error {
  constructor(detail: string) {
    super(`refused target: ${detail}`);
    this.name = 'RefusedTargetError';
  }
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
/** The shape of the `lookup` option of net.connect / http.request. */
export type Lookup = (hostname: string, options: LookupOneOptions | LookupAllOptions, callback: LookupCallback) => void;

/**
 * A `lookup` for http.request that resolves as usual, then refuses the connection when any address
 * the name resolves to is not public. It runs for every new connection, so re-pointing a name at an
 * internal address after the URL was accepted (DNS rebinding) gets nowhere.
 */
export const guardedLookup: Lookup = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, []);
    for (const { address } of addresses) {
      const kind = refusedAddress(address);
      if (kind !== undefined)
        return callback(new RefusedTargetError(`${hostname} resolves to ${address}, ${kind}`), []);
    }
    if (options.all) return callback(null, addresses);
    const first = addresses[0];
    if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), []);
    callback(null, first.address, first.family);
  });
};
