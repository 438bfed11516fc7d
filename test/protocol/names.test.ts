import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  browserMayPublish,
  formatSubscription,
  isValidEventName,
  isValidPipeName,
  isValidUserKey,
  parseSubscription,
} from '../../src/protocol/names.js';

test('pipe names follow CppComet: 3-64 chars of [A-Za-z0-9_-]', () => {
  for (const ok of ['web_chat_pipe', 'loginPipe', 'abc', 'a-b', 'x'.repeat(64), 'msg'])
    assert.ok(isValidPipeName(ok), ok);
  for (const bad of ['ab', 'x'.repeat(65), 'web chat', 'pipe.event', 'труба', '', 'a<b', 42, null]) {
    assert.equal(isValidPipeName(bad), false, String(bad));
  }
});

test('event names are 1-64 chars of the same charset', () => {
  assert.ok(isValidEventName('userLogin'));
  assert.ok(isValidEventName('x'));
  assert.equal(isValidEventName(''), false);
  assert.equal(isValidEventName('x'.repeat(65)), false);
  assert.equal(isValidEventName('user.login'), false);
});

test('parseSubscription reads "pipe" and "pipe.event" and rejects the rest', () => {
  assert.deepEqual(parseSubscription('web_chat_pipe'), { pipe: 'web_chat_pipe' });
  assert.deepEqual(parseSubscription('loginPipe.userLogin'), { pipe: 'loginPipe', event: 'userLogin' });
  for (const bad of ['loginPipe.', '.userLogin', 'lo.userLogin', 'loginPipe.user.Login', 'loginPipe.user Login', 7]) {
    assert.equal(parseSubscription(bad), null, String(bad));
  }
  assert.equal(formatSubscription({ pipe: 'loginPipe', event: 'userExit' }), 'loginPipe.userExit');
  assert.equal(formatSubscription({ pipe: 'web_x' }), 'web_x');
});

test('browsers publish into web_ always and webauth_ only when authorized', () => {
  assert.ok(browserMayPublish('web_chat_pipe', false));
  assert.equal(browserMayPublish('loginPipe', true), false);
  assert.equal(browserMayPublish('webauth_room', false), false);
  assert.ok(browserMayPublish('webauth_room', true));
  assert.equal(browserMayPublish('track_room', true), false);
});

test('user keys: at most 32 chars of [0-9A-Za-z=+/_]', () => {
  assert.ok(isValidUserKey('0cc175b9c0f1b6a831c399e269772661'));
  assert.ok(isValidUserKey('a+b/c=d_e'));
  assert.equal(isValidUserKey('x'.repeat(33)), false);
  assert.equal(isValidUserKey("k'; DROP"), false);
  assert.equal(isValidUserKey(''), false);
});
