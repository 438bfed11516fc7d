/** verifyWebhook, as a receiver uses it: what the server signs passes; anything altered, late or unsigned does not. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { verifyWebhook } from '../../src/server/index.js';

const secret = 'app-secret-for-tests';
const now = 1_700_000_000_000;
const timestamp = String(now / 1000);
const body = JSON.stringify({ app: '1', message: { data: { text: 'Привет' } } });
/** Written out here, not taken from the code under test. */
const signature = `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;

describe('verifyWebhook', () => {
  it('accepts a request signed with the secret, as a string or the raw bytes', () => {
    assert.equal(verifyWebhook(secret, { signature, timestamp, body }, { nowMs: now }), true);
    assert.equal(
      verifyWebhook(secret, { signature, timestamp, body: Buffer.from(body) }, { nowMs: now + 299_000 }),
      true,
    );
  });

  it('refuses another secret, an altered body or timestamp, an old request, and missing headers', () => {
    assert.equal(verifyWebhook('other-secret', { signature, timestamp, body }, { nowMs: now }), false);
    assert.equal(
      verifyWebhook(secret, { signature, timestamp, body: body.replace('Привет', 'Пока') }, { nowMs: now }),
      false,
    );
    assert.equal(verifyWebhook(secret, { signature, timestamp: String(now / 1000 + 1), body }, { nowMs: now }), false);
    assert.equal(verifyWebhook(secret, { signature, timestamp, body }, { nowMs: now + 301_000 }), false);
    assert.equal(
      verifyWebhook(secret, { signature, timestamp, body }, { nowMs: now + 3_600_000, toleranceSeconds: 7200 }),
      true,
    );
    assert.equal(verifyWebhook(secret, { signature: undefined, timestamp, body }, { nowMs: now }), false);
    assert.equal(verifyWebhook(secret, { signature, timestamp: undefined, body }, { nowMs: now }), false);
    assert.equal(verifyWebhook(secret, { signature: signature.slice(0, -1), timestamp, body }, { nowMs: now }), false);
    assert.equal(verifyWebhook(secret, { signature, timestamp: `${timestamp}.5`, body }, { nowMs: now }), false);
  });
});
