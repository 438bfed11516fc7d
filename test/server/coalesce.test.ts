/** The busy-pipe rule on its own, with a clock and timers the test moves. */
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { Coalescer } from '../../src/server/fronts/socket/coalesce.js';

describe('Coalescer', () => {
  let now = 0;
  let sent: string[][] = [];
  let coalescer: Coalescer<string>;
  beforeEach(() => {
    mock.timers.enable({ apis: ['setTimeout'] });
    now = 1000;
    sent = [];
    coalescer = new Coalescer<string>({ windowMs: 20, maxItems: 3, send: (items) => sent.push(items), now: () => now });
  });
  afterEach(() => mock.timers.reset());
  const later = (ms: number) => {
    now += ms;
    mock.timers.tick(ms);
  };

  it('a quiet pipe sends at once; a message from someone else within the window waits for it, with company', () => {
    coalescer.add('p', 'e', 'a', 'a1');
    assert.deepEqual(sent, [['a1']]);
    later(5);
    coalescer.add('p', 'e', 'b', 'b1');
    later(5);
    coalescer.add('p', 'e', 'c', 'c1');
    assert.deepEqual(sent, [['a1']]);
    later(10);
    assert.deepEqual(sent, [['a1'], ['b1', 'c1']]);
    // After a group of several senders, anyone finds the pipe busy for a window...
    later(5);
    coalescer.add('p', 'e', 'b', 'b2');
    assert.equal(sent.length, 2);
    later(15);
    assert.deepEqual(sent.at(-1), ['b2']);
    // ...and a window after the last send it is quiet again.
    later(20);
    coalescer.add('p', 'e', 'c', 'c2');
    assert.deepEqual(sent.at(-1), ['c2']);
  });

  it('one sender one message after another is never held back', () => {
    for (let i = 0; i < 5; i++) {
      coalescer.add('p', 'e', 'a', `a${i}`);
      later(1);
    }
    assert.deepEqual(sent, [['a0'], ['a1'], ['a2'], ['a3'], ['a4']]);
  });

  it('a sender with other messages under way (undefined) does not make its pipe quiet', () => {
    coalescer.add('p', 'e', undefined, 'a1');
    later(1);
    coalescer.add('p', 'e', undefined, 'a2');
    later(1);
    coalescer.add('p', 'e', undefined, 'a3');
    assert.deepEqual(sent, [['a1']]);
    later(18);
    assert.deepEqual(sent, [['a1'], ['a2', 'a3']]);
  });

  it('keeps order: what waits leaves before a message of another event; a full group leaves at once; pipes are apart', () => {
    coalescer.add('p', 'e', 'a', 'a1');
    coalescer.add('p', 'e', 'b', 'b1');
    coalescer.add('q', 'e', 'b', 'q1');
    coalescer.add('p', 'other', 'c', 'c1');
    assert.deepEqual(sent, [['a1'], ['q1'], ['b1']]);
    coalescer.add('p', 'other', 'a', 'a2');
    coalescer.add('p', 'other', 'b', 'b2');
    assert.deepEqual(sent, [['a1'], ['q1'], ['b1'], ['c1', 'a2', 'b2']]);
    coalescer.add('p', 'other', 'c', 'c3');
    coalescer.flushAll();
    assert.deepEqual(sent.at(-1), ['c3']);
  });
});
