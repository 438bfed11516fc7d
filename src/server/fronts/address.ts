/**
 * Client addresses as the limits count them: the peer, or behind trusted proxies the client they
 * name; IPv4-mapped IPv6 as IPv4; IPv6 per /64, the smallest block one subscriber gets.
 */
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/** Which peers' X-Forwarded-For is believed: a proxy on the same host, unless configured otherwise. */
export const DEFAULT_TRUSTED_PROXIES: readonly string[] = ['127.0.0.1', '::1'];

/**
 * The address a request comes from: the peer, or when the peer is a trusted proxy, the nearest
 * address in X-Forwarded-For that is not one. IPv4-mapped IPv6 reads as IPv4; IPv6 as its /64.
 */
export function clientAddress(req: IncomingMessage, trustedProxies: readonly string[]): string {
  let address = plainAddress(req.socket.remoteAddress ?? '');
  const forwarded = req.headers['x-forwarded-for'];
  if (forwarded !== undefined && trustedProxies.includes(address)) {
    const hops = (Array.isArray(forwarded) ? forwarded.join(',') : forwarded)
      .split(',')
      .map((h) => plainAddress(h.trim()));
    for (let i = hops.length - 1; i >= 0; i--) {
      if (isIP(hops[i]) === 0) break;
      address = hops[i]!;
      if (!trustedProxies.includes(address)) break;
    }
  }
  return peerKey(address);
}

/** What an address counts as: IPv4-mapped IPv6 as IPv4, IPv6 as its /64. */
export function peerKey(address: string): string {
  const plain = plainAddress(address);
  return isIP(plain) === 6 ? prefix64(plain) : plain;
}

/** An address as written by a peer: IPv4-mapped IPv6 (`::ffff:1.2.3.4`) reads as IPv4. */
export function plainAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1] : address;
}

/** The first four groups of an IPv6 address (`2001:db8:1:2::/64`). */
function prefix64(address: string): string {
  const [head = '', tail = ''] = address.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = address.includes('::')
    ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
