/** The per-address limits' pure parts: which address a request counts for, and how penalties grow and fade. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { clientAddress } from '../../src/server/fronts/address.js';
import { AddressGuard } from '../../src/server/fronts/socket/address-guard.js';
import { DEFAULT_LIMITS } from '../../src/server/core/limits.js';

describe('clientAddress', () => {
  it('believes X-Forwarded-For only from a trusted proxy, and counts IPv6 clients by /64', () => {
    const req = (remoteAddress: string, xff?: string) =>
      ({
        socket: { remoteAddress },
        headers: xff === undefined ? {} : { 'x-forwarded-for': xff },
      }) as unknown as IncomingMessage;
    const loopback = ['127.0.0.1', '::1'];
    assert.equal(clientAddress(req('203.0.113.9', '198.51.100.1'), loopback), '203.0.113.9');
    assert.equal(clientAddress(req('127.0.0.1', '198.51.100.1'), loopback), '198.51.100.1');
    assert.equal(clientAddress(req('::ffff:127.0.0.1', 'spoofed, 198.51.100.7, 127.0.0.1'), loopback), '198.51.100.7');
    assert.equal(clientAddress(req('127.0.0.1', 'not-an-address'), loopback), '127.0.0.1');
    assert.equal(clientAddress(req('2001:db8:aa:bb:1:2:3:4'), loopback), '2001:db8:aa:bb::/64');
    assert.equal(clientAddress(req('2001:db8::1'), loopback), '2001:db8:0:0::/64');
    assert.equal(clientAddress(req('::ffff:192.0.2.5'), loopback), '192.0.2.5');
  });
});

describe('AddressGuard', () => {
  it('doubles a penalty repeated soon, up to its cap, and starts small again after a quiet while', () => {
    let now = 0;
    const guard = new AddressGuard({ ...DEFAULT_LIMITS, penaltyMs: 1000, penaltyMaxMs: 5000 }, () => now);
    assert.deepEqual(
      [guard.penalize('a'), guard.penalize('a'), guard.penalize('a'), guard.penalize('a')],
      [1000, 2000, 4000, 5000],
    );
    assert.equal(guard.admit('a')?.reason, 'penalty');
    assert.equal(guard.admit('b'), undefined);
    now += 5000;
    assert.equal(guard.admit('a'), undefined);
    now += 5000;
    assert.equal(guard.penalize('a'), 1000);
  });
});
