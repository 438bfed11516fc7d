import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientEventSchemas, describeIssues, handshakeAuthSchema } from '../../src/protocol/schemas.js';
import { MAX_PIPES_PER_CONNECTION } from '../../src/protocol/limits.js';

test('subscribe takes 1-32 valid targets', () => {
  assert.ok(clientEventSchemas.subscribe.safeParse({ pipes: ['web_a', 'loginPipe.userLogin'] }).success);
  assert.equal(clientEventSchemas.subscribe.safeParse({ pipes: [] }).success, false);
  const tooMany = Array.from({ length: MAX_PIPES_PER_CONNECTION + 1 }, (_, i) => `web_p${i}`);
  assert.equal(clientEventSchemas.subscribe.safeParse({ pipes: tooMany }).success, false);
  assert.equal(clientEventSchemas.subscribe.safeParse({ pipes: ['bad pipe'] }).success, false);
  assert.equal(clientEventSchemas.subscribe.safeParse('web_a').success, false);
});

test('publish needs a valid pipe, an optional valid event, and any data', () => {
  assert.ok(clientEventSchemas.publish.safeParse({ pipe: 'web_a', data: { text: 'hi' } }).success);
  assert.ok(clientEventSchemas.publish.safeParse({ pipe: 'web_a', event: 'e1', data: 1 }).success);
  const bad = clientEventSchemas.publish.safeParse({ pipe: 'web a', event: 'e.1', data: 1 });
  assert.equal(bad.success, false);
  assert.match(describeIssues(bad.error), /pipe: pipe names/);
  assert.match(describeIssues(bad.error), /event: event names/);
});

test('history paging bounds are checked', () => {
  assert.ok(clientEventSchemas.history.safeParse({ pipe: 'web_a', limit: 20, before: 100 }).success);
  assert.equal(clientEventSchemas.history.safeParse({ pipe: 'web_a', limit: 0 }).success, false);
  assert.equal(clientEventSchemas.history.safeParse({ pipe: 'web_a', limit: 10_000 }).success, false);
  assert.equal(clientEventSchemas.history.safeParse({ pipe: 'web_a', before: -1 }).success, false);
  assert.equal(clientEventSchemas.history.safeParse({ pipe: 'web_a', after: 1.5 }).success, false);
});

test('handshake auth accepts the seed forms (numeric or string ids) and refuses junk', () => {
  assert.ok(handshakeAuthSchema.safeParse({ dev_id: 1 }).success);
  assert.ok(handshakeAuthSchema.safeParse({ dev_id: '15', user_id: '1', user_key: 'abc' }).success);
  assert.equal(handshakeAuthSchema.safeParse({}).success, false);
  assert.equal(handshakeAuthSchema.safeParse({ dev_id: 1, user_id: 'victor' }).success, false);
  assert.equal(handshakeAuthSchema.safeParse({ dev_id: 1, user_key: 'x'.repeat(33) }).success, false);
});
