import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Metrics, OTHER_LABEL } from '../../src/server/metrics.js';

/** The value of one sample line, by its exact name-and-labels prefix. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('counters and gauges render in the Prometheus text format', () => {
  const m = new Metrics();
  m.connectionOpened();
  m.connectionOpened();
  m.connectionClosed();
  m.messageIn('1');
  m.messageIn('1');
  m.messageIn('7');
  m.messagesOut(5);
  m.delivered(3);
  m.error('banned');
  m.error('banned');
  m.webhook('sent');
  const text = m.render();
  assert.equal(sample(text, 'comet_connections'), 1);
  assert.equal(sample(text, 'comet_messages_in_total{app="1"}'), 2);
  assert.equal(sample(text, 'comet_messages_in_total{app="7"}'), 1);
  assert.equal(sample(text, 'comet_messages_out_total'), 5);
  assert.equal(sample(text, 'comet_deliveries_total'), 3);
  assert.equal(sample(text, 'comet_errors_total{code="banned"}'), 2);
  assert.equal(sample(text, 'comet_webhook_requests_total{outcome="sent"}'), 1);
  assert.ok((sample(text, 'process_resident_memory_bytes') ?? 0) > 0);
  assert.match(text, /^# HELP comet_connections .+\n# TYPE comet_connections gauge\n/m);
  assert.match(text, /# TYPE comet_messages_in_total counter/);
  assert.ok(text.endsWith('\n'));
  // Every non-comment line is `name{labels} number`.
  for (const line of text
    .trim()
    .split('\n')
    .filter((l) => !l.startsWith('#'))) {
    assert.match(line, /^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? -?\d+(\.\d+)?$/, line);
  }
});

test('connections never go below zero', () => {
  const m = new Metrics();
  m.connectionClosed();
  assert.equal(sample(m.render(), 'comet_connections'), 0);
});

test('the per-pipe gauge keeps the largest pipes and sums the rest into one series', () => {
  const m = new Metrics({ maxPipeSeries: 10 });
  let total = 0;
  for (let i = 1; i <= 1000; i++) {
    m.setPipeSubscribers('1', `web_pipe${i}`, i);
    total += i;
  }
  const text = m.render();
  const series = text.split('\n').filter((l) => l.startsWith('comet_pipe_subscribers{'));
  assert.equal(series.length, 11);
  for (let i = 991; i <= 1000; i++)
    assert.equal(sample(text, `comet_pipe_subscribers{app="1",pipe="web_pipe${i}"}`), i);
  const shown = (991 + 1000) * 5;
  assert.equal(sample(text, `comet_pipe_subscribers{app="${OTHER_LABEL}",pipe="${OTHER_LABEL}"}`), total - shown);
  assert.equal(sample(text, 'comet_pipes'), 1000);
});

test('a pipe whose subscribers drop to zero leaves the gauge', () => {
  const m = new Metrics();
  m.setPipeSubscribers('1', 'web_a', 3);
  m.setPipeSubscribers('1', 'web_a', 0);
  const text = m.render();
  assert.equal(sample(text, 'comet_pipe_subscribers{app="1",pipe="web_a"}'), undefined);
  assert.equal(sample(text, 'comet_pipes'), 0);
  assert.ok(!text.split('\n').some((l) => l.startsWith('comet_pipe_subscribers{')));
});

test('label values are escaped and distinct error codes are bounded', () => {
  const m = new Metrics();
  m.error('a"b\\c\nd');
  for (let i = 0; i < 500; i++) m.error(`code${i}`);
  const text = m.render();
  assert.ok(text.includes('comet_errors_total{code="a\\"b\\\\c\\nd"} 1'));
  const series = text.split('\n').filter((l) => l.startsWith('comet_errors_total{'));
  assert.ok(series.length <= 65, `${series.length} error series`);
  assert.ok((sample(text, `comet_errors_total{code="${OTHER_LABEL}"}`) ?? 0) > 0);
});
