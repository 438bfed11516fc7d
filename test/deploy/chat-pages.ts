/**
 * Browsers on the demo's anonymous chat, opened through nginx (https://, wss://), each able to send a
 * steady stream of messages with the element's own send() and to record what it sent, what it got,
 * and when it lost and regained its connection.
 */
import assert from 'node:assert/strict';
import type { Page, WebSocket } from 'playwright-core';
import type {} from '../../src/element/define.js';
import { chat, waitConnected, WAIT_MS } from '../e2e/harness.js';
import { connectionsOn, type Deployment, type NodeProcess } from './deploy-helpers.js';

export interface Sent {
  text: string;
  ok: boolean;
  marker?: number;
  error?: string;
  /** From send() to its answer: how long a message waited, a move included. */
  ms: number;
}

export interface Got {
  text: string;
  marker?: number;
  /** Came from history (catch-up), not live. */
  history: boolean;
}

export interface Timeline {
  type: 'connect' | 'disconnect';
  at: number;
}

type Recorder = Window & {
  __sent: Sent[];
  __got: Got[];
  __events: Timeline[];
  __stop: boolean;
  __traffic?: Promise<void>;
};

export interface ChatPage {
  name: string;
  page: Page;
  /** Starts sending `<name> #<n>` every `periodMs` (after the previous send has been answered). */
  startTraffic(periodMs: number): Promise<void>;
  /** Stops sending and waits for the last send's answer. */
  stopTraffic(): Promise<Sent[]>;
  got(): Promise<Got[]>;
  events(): Promise<Timeline[]>;
  /** The WebSockets the page opened, each with when the test heard of it (the test's clock). */
  readonly sockets: { ws: WebSocket; at: number }[];
  /** What the feed holds now: text and marker of every message. */
  feed(): Promise<{ text: string; marker?: number; mine: boolean }[]>;
  disconnect(): Promise<void>;
  /** Connects again and waits until connected. */
  connect(): Promise<void>;
}

/** Opens the anonymous demo through the proxy, with a name set, recording from the first moment. */
export async function openChat(deployment: Deployment, name: string): Promise<ChatPage> {
  const page = await (await deployment.context()).newPage();
  const sockets: { ws: WebSocket; at: number }[] = [];
  page.on('websocket', (ws) => sockets.push({ ws, at: Date.now() }));
  await page.goto(`${deployment.proxy.url}/anonymous/`);
  const widget = chat(page);
  await waitConnected(widget);
  assert.equal(await page.evaluate(() => location.protocol), 'https:');
  await widget.evaluate((el: HTMLElementTagNameMap['comet-chat'], n: string) => {
    el.name = n;
    const w = window as unknown as Recorder;
    w.__sent = [];
    w.__got = [];
    w.__events = [];
    w.__stop = false;
    el.addEventListener('comet-message', (e) => {
      const { message, raw } = e.detail;
      w.__got.push({
        text: message.text,
        ...(message.marker === undefined ? {} : { marker: message.marker }),
        history: raw.server_info.history,
      });
    });
    el.addEventListener('comet-connect', () => w.__events.push({ type: 'connect', at: Date.now() }));
    el.addEventListener('comet-disconnect', () => w.__events.push({ type: 'disconnect', at: Date.now() }));
  }, name);
  return {
    name,
    page,
    sockets,
    async startTraffic(periodMs) {
      await widget.evaluate(
        (el: HTMLElementTagNameMap['comet-chat'], { label, period }: { label: string; period: number }) => {
          const w = window as unknown as Recorder;
          w.__stop = false;
          w.__traffic = (async () => {
            for (let i = 0; !w.__stop; i++) {
              const text = `${label} #${i}`;
              const at = Date.now();
              try {
                const report = await el.send(text);
                w.__sent.push({
                  text,
                  ok: true,
                  ...(report?.marker === undefined ? {} : { marker: report.marker }),
                  ms: Date.now() - at,
                });
              } catch (err) {
                w.__sent.push({
                  text,
                  ok: false,
                  error: String((err as { code?: string }).code ?? err),
                  ms: Date.now() - at,
                });
              }
              await new Promise((r) => setTimeout(r, period));
            }
          })();
        },
        { label: name, period: periodMs },
      );
    },
    stopTraffic: () =>
      page.evaluate(async () => {
        const w = window as unknown as Recorder;
        w.__stop = true;
        await w.__traffic;
        return w.__sent;
      }),
    got: () => page.evaluate(() => (window as unknown as Recorder).__got),
    events: () => page.evaluate(() => (window as unknown as Recorder).__events),
    feed: () =>
      widget.evaluate((el: HTMLElementTagNameMap['comet-chat']) =>
        el.messages
          .filter((m) => m.kind === 'message')
          .map((m) => ({ text: m.text, ...(m.marker === undefined ? {} : { marker: m.marker }), mine: m.mine })),
      ),
    async disconnect() {
      await widget.evaluate((el: HTMLElementTagNameMap['comet-chat']) => el.disconnect());
    },
    async connect() {
      await widget.evaluate((el: HTMLElementTagNameMap['comet-chat']) => el.connect());
      await waitConnected(widget);
    },
  };
}

/** Polls the nodes' own connection counts until `check` holds for them. */
export async function countsWhen(deployment: Deployment, check: (counts: number[]) => boolean): Promise<number[]> {
  for (let i = 0; i < 200; i++) {
    const counts = await Promise.all(deployment.nodes.map(connectionsOn));
    if (check(counts)) return counts;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the nodes never showed the expected connection counts');
}

/**
 * Reconnects `page` until nginx's round-robin puts it on `node` (each new WebSocket goes to the next
 * node in turn, so this takes one or two tries). `open` is how many pages are connected in all.
 */
export async function placeOn(open: number, deployment: Deployment, page: ChatPage, node: NodeProcess): Promise<void> {
  const sum = (counts: number[]): number => counts.reduce((a, b) => a + b, 0);
  const target = deployment.nodes.indexOf(node);
  for (let attempt = 0; attempt < 6; attempt++) {
    await page.disconnect();
    const without = await countsWhen(deployment, (c) => sum(c) === open - 1);
    await page.connect();
    const withIt = await countsWhen(deployment, (c) => sum(c) === open);
    if (withIt[target] > without[target]) return;
  }
  throw new Error(`${page.name} never landed on ${node.name}`);
}

/** Waits until the page has had `count` comet-connect events. */
export async function connects(page: ChatPage, count: number): Promise<void> {
  await page.page.waitForFunction(
    (n) => (window as unknown as Recorder).__events.filter((e) => e.type === 'connect').length >= n,
    count,
    {
      timeout: WAIT_MS,
    },
  );
}

/** Every acknowledged message of every page is in every feed exactly once (and nothing else is there twice). */
export async function assertExactlyOnce(
  pages: ChatPage[],
  sent: Map<string, Sent[]>,
  extra: string[] = [],
): Promise<void> {
  const acked = [...sent.values()]
    .flat()
    .filter((s) => s.ok)
    .map((s) => s.text);
  for (const p of pages) {
    const feed = await p.feed();
    const counts = new Map<string, number>();
    for (const m of feed) counts.set(m.text, (counts.get(m.text) ?? 0) + 1);
    const missing = [...acked, ...extra].filter((t) => !counts.has(t));
    const twice = [...counts].filter(([t, n]) => n > 1 && (acked.includes(t) || extra.includes(t))).map(([t]) => t);
    assert.deepEqual(missing, [], `${p.name} misses acknowledged messages`);
    assert.deepEqual(twice, [], `${p.name} shows acknowledged messages twice`);
  }
}
