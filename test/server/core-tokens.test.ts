/** Signed user tokens (HS256 JWT over the app secret) and the token bucket. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { peekExpiry, signToken, TOKEN_CLOCK_TOLERANCE_S, verifyToken } from '../../src/server/core/tokens.js';
import { TokenBucket } from '../../src/server/core/rate-limit.js';

const secret = 'app-secret-for-tests';
const now = 1_700_000_000;
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const hs256 = (key: string, body: string) => createHmac('sha256', key).update(body).digest('base64url');

describe('tokens', () => {
  it('round-trips the claims and is a standard HS256 JWT', async () => {
    const token = signToken(secret, { user_id: 7, name: 'Anna', exp: now + 60 });
    const [header, payload, signature] = token.split('.');
    assert.deepEqual(JSON.parse(Buffer.from(header, 'base64url').toString()), { alg: 'HS256', typ: 'JWT' });
    assert.equal(signature, hs256(secret, `${header}.${payload}`));
    assert.deepEqual(await verifyToken(secret, token, now), {
      ok: true,
      claims: { user_id: 7, name: 'Anna', exp: now + 60 },
    });
    assert.equal(peekExpiry(token), now + 60);
  });

  it('accepts a token signed elsewhere with the same secret (a PHP backend, say)', async () => {
    const body = `${b64({ typ: 'JWT', alg: 'HS256' })}.${b64({ user_id: 9, exp: now + 5 })}`;
    assert.deepEqual(await verifyToken(secret, `${body}.${hs256(secret, body)}`, now), {
      ok: true,
      claims: { user_id: 9, exp: now + 5 },
    });
    // Registered claims a library adds (iat, nbf in the past, iss, jti) are fine.
    const more = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ user_id: 9, exp: now + 5, iat: now - 1, nbf: now - 1, iss: 'shop', jti: 'x1' })}`;
    assert.equal((await verifyToken(secret, `${more}.${hs256(secret, more)}`, now)).ok, true);
  });

  it('refuses expired, not yet valid, tampered, unsigned, critical-header and malformed tokens', async () => {
    const token = signToken(secret, { user_id: 7, exp: now + 60 });
    // Expired, past the clock tolerance between the signer and us.
    assert.equal((await verifyToken(secret, token, now + 60 + TOKEN_CLOCK_TOLERANCE_S - 1)).ok, true);
    assert.deepEqual(await verifyToken(secret, token, now + 60 + TOKEN_CLOCK_TOLERANCE_S), {
      ok: false,
      reason: 'expired_token',
    });
    const early = `${b64({ alg: 'HS256' })}.${b64({ user_id: 1, exp: now + 600, nbf: now + 300 })}`;
    assert.deepEqual(await verifyToken(secret, `${early}.${hs256(secret, early)}`, now), {
      ok: false,
      reason: 'bad_token',
    });
    const crit = `${b64({ alg: 'HS256', crit: ['exp-ext'], 'exp-ext': 1 })}.${b64({ user_id: 1, exp: now + 60 })}`;
    assert.deepEqual(await verifyToken(secret, `${crit}.${hs256(secret, crit)}`, now), {
      ok: false,
      reason: 'bad_token',
    });
    assert.deepEqual(await verifyToken('other secret', token, now), { ok: false, reason: 'bad_token' });
    const [header, , signature] = token.split('.');
    assert.equal(
      (await verifyToken(secret, `${header}.${b64({ user_id: 1, exp: now + 60 })}.${signature}`, now)).ok,
      false,
    );
    const none = `${b64({ alg: 'none' })}.${b64({ user_id: 1, exp: now + 60 })}.`;
    assert.equal((await verifyToken(secret, none, now)).ok, false);
    const wrongAlgBody = `${b64({ alg: 'HS512' })}.${b64({ user_id: 1, exp: now + 60 })}`;
    assert.equal((await verifyToken(secret, `${wrongAlgBody}.${hs256(secret, wrongAlgBody)}`, now)).ok, false);
    for (const claims of [
      { user_id: 0, exp: now + 60 },
      { user_id: '7', exp: now + 60 },
      { user_id: 7 },
      { user_id: 7, exp: now + 60, name: 5 },
    ]) {
      const body = `${b64({ alg: 'HS256' })}.${b64(claims)}`;
      assert.deepEqual(
        await verifyToken(secret, `${body}.${hs256(secret, body)}`, now),
        { ok: false, reason: 'bad_token' },
        JSON.stringify(claims),
      );
    }
    for (const junk of ['', 'a.b', 'a.b.c.d', '!!!.???.###'])
      assert.equal((await verifyToken(secret, junk, now)).ok, false);
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
    assert.deepEqual(
      [bucket.take(10_000), bucket.take(10_000), bucket.take(10_000), bucket.take(10_000)],
      [true, true, true, false],
    );
  });
});
