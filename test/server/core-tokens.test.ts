/** Signed user tokens (HS256 JWT over the app secret) and the token bucket. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { peekExpiry, signToken, verifyToken } from '../../src/server/core/tokens.js';
import { TokenBucket } from '../../src/server/core/rate-limit.js';

const secret = 'app-secret-for-tests';
const now = 1_700_000_000;
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const hs256 = (key: string, body: string) => createHmac('sha256', key).update(body).digest('base64url');

describe('tokens', () => {
  it('round-trips the claims and is a standard HS256 JWT', () => {
    const token = signToken(secret, { user_id: 7, name: 'Anna', exp: now + 60 });
    const [header, payload, signature] = token.split('.');
    assert.deepEqual(JSON.parse(Buffer.from(header!, 'base64url').toString()), { alg: 'HS256', typ: 'JWT' });
    assert.equal(signature, hs256(secret, `${header}.${payload}`));
    assert.deepEqual(verifyToken(secret, token, now), { ok: true, claims: { user_id: 7, name: 'Anna', exp: now + 60 } });
    assert.equal(peekExpiry(token), now + 60);
  });

  it('accepts a token signed elsewhere with the same secret (a PHP backend, say)', () => {
    const body = `${b64({ typ: 'JWT', alg: 'HS256' })}.${b64({ user_id: 9, exp: now + 5 })}`;
    assert.deepEqual(verifyToken(secret, `${body}.${hs256(secret, body)}`, now), { ok: true, claims: { user_id: 9, exp: now + 5 } });
  });

  it('refuses expired, tampered, unsigned and malformed tokens', () => {
    const token = signToken(secret, { user_id: 7, exp: now + 60 });
    assert.deepEqual(verifyToken(secret, token, now + 60), { ok: false, reason: 'expired_token' });
    assert.deepEqual(verifyToken('other secret', token, now), { ok: false, reason: 'bad_token' });
    const [header, , signature] = token.split('.');
    assert.equal(verifyToken(secret, `${header}.${b64({ user_id: 1, exp: now + 60 })}.${signature}`, now).ok, false);
    const none = `${b64({ alg: 'none' })}.${b64({ user_id: 1, exp: now + 60 })}.`;
    assert.equal(verifyToken(secret, none, now).ok, false);
    const wrongAlgBody = `${b64({ alg: 'HS512' })}.${b64({ user_id: 1, exp: now + 60 })}`;
    assert.equal(verifyToken(secret, `${wrongAlgBody}.${hs256(secret, wrongAlgBody)}`, now).ok, false);
    for (const claims of [{ user_id: 0, exp: now + 60 }, { user_id: '7', exp: now + 60 }, { user_id: 7 }, { user_id: 7, exp: now + 60, name: 5 }]) {
      const body = `${b64({ alg: 'HS256' })}.${b64(claims)}`;
      assert.deepEqual(verifyToken(secret, `${body}.${hs256(secret, body)}`, now), { ok: false, reason: 'bad_token' }, JSON.stringify(claims));
    }
    for (const junk of ['', 'a.b', 'a.b.c.d', '!!!.???.###']) assert.equal(verifyToken(secret, junk, now).ok, false);
    assert.equal(peekExpiry('junk'), null);
  });
});

describe('TokenBucket', () => {
  it('gives the burst at once, then refills at the rate', () => {
    const bucket = new TokenBucket(3, 2, 0);
    assert.deepEqual([bucket.take(0), bucket.take(0), bucket.take(0), bucket.take(0)], [true, true, true, false]);
    assert.equal(bucket.take(400), false);
    assert.equal(bucket.take(500), true);
    assert.equal(bucket.take(500), false);
    assert.deepEqual([bucket.take(10_000), bucket.take(10_000), bucket.take(10_000), bucket.take(10_000)], [true, true, true, false]);
  });
});
