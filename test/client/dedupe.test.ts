import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MarkerWindow, REORDER_MS } from '../../src/client/dedupe.js';
import { SubscriptionSet } from '../../src/client/subscriptions.js';

test('MarkerWindow admits each marker once and stays bounded', () => {
  const w = new MarkerWindow(4);
  assert.equal(w.add(5), true);
  assert.equal(w.add(5), false);
  for (const m of [6, 7, 8, 9, 10]) assert.equal(w.add(m), true);
  assert.equal(w.high, 10);
  assert.equal(w.has(5), true, 'evicted markers stay seen through the floor');
  assert.equal(w.add(6), false);
  assert.equal(w.add(11), true);
  w.raise(20);
  assert.equal(w.high, 20);
  assert.equal(w.has(15), false, 'raising the catch-up point does not mark anything seen');
});

test('MarkerWindow resumes a catch-up below markers that may still be overtaken by one from another node', () => {
  let now = 0;
  const w = new MarkerWindow(512, () => now);
  w.add(1);
  now += REORDER_MS;
  w.add(2);
  // 3 was stamped on another node and is still on its way when 4 (our own publish, say) arrives.
  w.add(4);
  assert.equal(w.high, 4);
  assert.equal(w.resumePoint(), 1, 'a catch-up now fetches 2, 3 and 4; 2 and 4 are dropped as seen');
  assert.equal(w.has(2), true);
  now += REORDER_MS;
  assert.equal(w.resumePoint(), 4, 'what had time to arrive is settled');
  w.raise(10);
  assert.equal(w.resumePoint(), 10, 'a point learned from history is settled at once');
});

test('SubscriptionSet keeps canonical targets and lets through what they want', () => {
  const s = new SubscriptionSet();
  assert.equal(s.add('loginPipe.userLogin'), 'loginPipe.userLogin');
  assert.equal(s.add('web_chat'), 'web_chat');
  assert.equal(s.add('bad pipe'), null);
  assert.deepEqual(s.pipes().sort(), ['loginPipe', 'web_chat']);
  assert.equal(s.wants('loginPipe', 'userLogin'), true);
  assert.equal(s.wants('loginPipe', 'userExit'), false);
  assert.equal(s.wants('web_chat', 'anything'), true);
  assert.equal(s.wants('msg', 'undefined'), true);
  assert.equal(s.wants('other_pipe', 'undefined'), false);
  assert.equal(s.delete('web_chat'), true);
  assert.equal(s.hasPipe('web_chat'), false);
});
