/**
 * docs/deploy.md's nginx in front of two nodes over Redis: TLS with a certificate the test makes,
 * the bundle and the API through the proxy, per-node /metrics for the monitoring address only, two
 * browsers on different nodes chatting over wss://, and long-polling kept on one node.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import { test } from 'node:test';
import { io } from 'socket.io-client';
import { chat, part, say, waitForDelivery, waitForInFeed } from '../e2e/harness.js';
import { connectionsOn, httpsFetch, SECRET, useDeployment } from './deploy-helpers.js';
import { openChat, placeOn } from './chat-pages.js';

const deployment = useDeployment();

test('TLS, the bundle, the backend API and per-node /metrics through nginx', async () => {
  const { proxy, tls } = deployment;
  const protocol = await new Promise<string | null>((done, fail) => {
    const socket = tlsConnect({ host: '127.0.0.1', port: proxy.port, ca: tls.cert, servername: 'localhost' }, () => {
      done(socket.getProtocol());
      socket.end();
    });
    socket.once('error', fail);
  });
  assert.equal(protocol, 'TLSv1.3');
  await assert.rejects(
    httpsFetch(`${proxy.url}/healthz`, ''),
    /self-signed|unable to verify/,
    'a client that does not trust the certificate is refused',
  );

  const bundle = await httpsFetch(`${proxy.url}/comet-chat.js`, tls.cert);
  assert.equal(bundle.status, 200);
  assert.match(String(bundle.headers['content-type']), /^text\/javascript/);
  assert.equal(bundle.headers['access-control-allow-origin'], '*');
  assert.equal(bundle.body, readFileSync('dist/comet-chat.js', 'utf8'));

  // A backend may publish through the proxy as well as on a node's own port.
  const published = await httpsFetch(`${proxy.url}/api/v1/apps/1/pipes/web_proxy/messages`, tls.cert, {
    method: 'POST',
    headers: { Authorization: `Bearer ${SECRET}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ data: { text: 'from the backend' } }),
  });
  assert.equal(published.status, 200, published.body);

  for (const [path, node] of [
    ['/metrics/node1', deployment.nodes[0]],
    ['/metrics/node2', deployment.nodes[1]],
  ] as const) {
    // The path reaches that very node: its uptime lies between two readings the node gives itself on either side.
    const uptime = (text: string) => Number(/^process_uptime_seconds (\S+)$/m.exec(text)?.[1]);
    const direct = async () => uptime(await (await fetch(`${node.url}/metrics`)).text());
    const before = await direct();
    const scraped = await httpsFetch(`${proxy.url}${path}`, tls.cert);
    const after = await direct();
    assert.equal(scraped.status, 200, path);
    assert.match(scraped.body, /^# TYPE comet_connections gauge$/m);
    const through = uptime(scraped.body);
    assert.ok(before <= through && through <= after, `${path} is ${node.name}: ${before} ≤ ${through} ≤ ${after}`);
    const outsider = await httpsFetch(`${proxy.url}${path}`, tls.cert, { localAddress: '127.0.0.2' });
    assert.equal(outsider.status, 403, `${path} from another address`);
  }
  assert.equal((await httpsFetch(`${proxy.url}/metrics`, tls.cert)).status, 404, 'no balanced /metrics');
});

test('two browsers on different nodes chat over wss:// through nginx', async () => {
  const alice = await openChat(deployment, 'Alice');
  const bob = await openChat(deployment, 'Bob');
  const pages = [alice, bob];
  await placeOn(2, deployment, alice, deployment.nodes[0]);
  await placeOn(2, deployment, bob, deployment.nodes[1]);
  assert.deepEqual(await Promise.all(deployment.nodes.map(connectionsOn)), [1, 1]);

  const a = chat(alice.page);
  const b = chat(bob.page);
  await say(a, 'Hello Bob, from node1');
  await waitForInFeed(b, 'message', 'Hello Bob, from node1');
  await waitForDelivery(a, 'Delivered to 1');
  await say(b, 'Hello Alice, from node2');
  const atAlice = await waitForInFeed(a, 'message', 'Hello Alice, from node2');
  assert.match(await part(atAlice, 'name').innerText(), /Bob/);

  // The WebSockets went through nginx: it answered their upgrade with 101.
  const upgrades = deployment.proxy
    .accessLog()
    .split('\n')
    .filter((l) => /^101 "GET \/socket\.io\/\?EIO=4&transport=websocket/.test(l));
  assert.ok(upgrades.length >= 2, deployment.proxy.accessLog());
  for (const p of pages) await p.page.context().close();
});

test('long-polling through nginx: every request of a session reaches the node that holds it', async () => {
  const { proxy, tls } = deployment;
  // What a browser on a network that refuses WebSocket does after its fallback (docs/client.md).
  const socket = io(proxy.url, {
    transports: ['polling'],
    ca: tls.cert,
    auth: { dev_id: '1' },
    forceNew: true,
    reconnection: false,
  });
  try {
    await new Promise<void>((done, fail) => {
      socket.once('auth', () => done());
      socket.once('connect_error', fail);
    });
    const pipe = `web_poll${Date.now().toString(36)}`;
    // Enough round trips that a balancer alternating between the nodes would have broken the session.
    for (let i = 1; i <= 8; i++) {
      const report = (await socket.timeout(10_000).emitWithAck('publish', { pipe, data: { text: `poll ${i}` } })) as {
        error: string;
      };
      assert.equal(report.error, '', JSON.stringify(report));
    }
    const page = (await socket.timeout(10_000).emitWithAck('history', { pipe, limit: 20 })) as {
      error: string;
      messages: unknown[];
    };
    assert.equal(page.error, '', JSON.stringify(page));
    const texts = (page.messages as { data: { text: string } }[]).map((m) => m.data.text);
    assert.deepEqual(
      texts,
      [1, 2, 3, 4, 5, 6, 7, 8].map((i) => `poll ${i}`),
    );
    const sid = socket.io.engine.id;
    const upstreams = new Set(
      proxy
        .accessLog()
        .split('\n')
        .filter((l) => l.includes(`sid=${sid}`))
        .map((l) => /upstream=(\S+)/.exec(l)?.[1]),
    );
    assert.equal(upstreams.size, 1, proxy.accessLog());
  } finally {
    socket.close();
  }
});
