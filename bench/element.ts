/**
 * `npm run bench:element`: the render cost of <comet-chat> against deep-chat (a devDependency, pinned), in one
 * run of the machine's Chromium, each widget in a fresh page of its own:
 *  1. history: a new widget (after a first, small one has warmed the code up) takes in 1,000 earlier messages
 *     at once, until they are laid out;
 *  2. a live message with 1,000 and with 10,000 held: the append, then style and layout forced (no frame wait),
 *     median of SAMPLES appends after 10 unmeasured ones;
 *  3. the DOM: elements in the widget's shadow root with 1,000 and 10,000 held.
 * Each timing is taken twice: wall time in the page, and the renderer main thread's CPU time over the same stretch
 * (Chromium's Performance.getMetrics in thread ticks), which other work on a shared machine inflates far less.
 * Each timed stretch starts once the machine is quiet (see settle): a fresh page's renderer spends its first second
 * or two starting up on every core, and a stretch timed meanwhile measured that contention along with the widget.
 * Neither widget talks to a server: <comet-chat> takes messages through `receive()`, deep-chat through its
 * `history` property and `addMessage()`. Prints a markdown table with the ratios ours / deep-chat and the
 * machine; `--docs` also writes it into docs/benchmarks.md (between its element-bench markers).
 * Knobs: BENCH_SAMPLES (100), BENCH_RUNS (15: history renders per widget, the median is kept; 7 still swung by a fifth from run to run),
 * BENCH_QUIET_WAIT (15000: ms to wait for a quiet machine before each timed stretch).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium, type Browser, type Page } from 'playwright-core';
import { loadNow, machine } from './report.js';

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 100);
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const QUIET_WAIT = Number(process.env.BENCH_QUIET_WAIT ?? 15_000);
/** A machine is quiet when its cores are this busy or less over QUIET_WINDOW ms. */
const QUIET_BUSY = 0.15;
const QUIET_WINDOW = 200;
const HISTORY = 1000;
const HELD = [1000, 10_000];
const DOCS = 'docs/benchmarks.md';
const START = '<!-- element-bench:start -->';
const END = '<!-- element-bench:end -->';

/** The element's entry and its lazy chunks (what ships), and deep-chat's bundle. */
const fileOf = (url: string): string | undefined =>
  /^\/comet-chat[\w-]*\.js$/.test(url)
    ? `dist${url}`
    : url === '/deep-chat.js'
      ? 'node_modules/deep-chat/dist/deepChat.bundle.js'
      : undefined;
const PAGE =
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>bench</title></head><body></body></html>';

/** What runs in the page: one widget, driven the same way for both. */
interface Driver {
  /** Makes the widget with `held` messages in it, laid out. */
  setup(held: number): Promise<void>;
  /** Takes `count` history messages in at once and lays them out. */
  history(count: number): Promise<void>;
  /** One live message, then style and layout forced. */
  append(text: string): Promise<void>;
  nodes(): number;
}

/** Page-side code, as a string so that neither TypeScript nor tsx touches it. */
const DRIVERS = String.raw`
window.drivers = {
  'comet-chat': () => {
    let el, feed, marker = 0;
    const msg = (text, history) => ({ data: { text, name: 'Bob' }, server_info: { pipe: 'web_bench', event: 'undefined', user_id: 0, history, marker: ++marker, time: Date.now() } });
    const make = async () => {
      el = document.createElement('comet-chat');
      el.lang = 'en'; el.pipe = 'web_bench'; el.name = 'Ann'; el.style.height = '600px';
      document.body.append(el);
      // The message actions chunk, loaded as it is before a connection's history arrives.
      await import('/comet-chat-lifecycle.js');
      await new Promise((r) => setTimeout(r));
      await el.updateComplete;
      feed = el.shadowRoot.querySelector('[part~="feed"]');
    };
    return {
      async setup(held) {
        await make();
        for (let i = 0; i < held; i++) {
          el.receive(msg('held message ' + i, false));
          if (i % 1000 === 999) await el.updateComplete;
        }
        await el.updateComplete;
        feed.scrollHeight;
      },
      async history(count) {
        await make();
        for (let i = 0; i < count; i++) el.receive(msg('history message ' + i, true));
        await el.updateComplete;
        feed.scrollHeight;
      },
      async append(text) {
        el.receive(msg(text, false));
        await el.updateComplete;
        feed.scrollHeight;
      },
      nodes: () => el.shadowRoot.querySelectorAll('*').length,
    };
  },
  'deep-chat': () => {
    let el;
    const bubbles = () => el.shadowRoot.querySelectorAll('.message-bubble').length;
    const container = () => el.shadowRoot.querySelector('#messages') ?? el.shadowRoot.firstElementChild;
    const make = async (count) => {
      el = document.createElement('deep-chat');
      el.style.height = '600px';
      el.demo = true;
      el.history = Array.from({ length: count }, (_, i) => ({ role: i % 2 ? 'ai' : 'user', text: 'history message ' + i }));
      document.body.append(el);
      while (bubbles() < count) await new Promise((r) => setTimeout(r));
      container().scrollHeight;
    };
    return {
      setup: make,
      history: make,
      async append(text) {
        el.addMessage({ role: 'ai', text });
        container().scrollHeight;
      },
      nodes: () => el.shadowRoot.querySelectorAll('*').length,
    };
  },
};
`;

interface Result {
  widget: string;
  historyMs: number;
  perMessage: Record<number, number>;
  /** Main-thread CPU time: history (median of RUNS), and per live message (mean over SAMPLES). */
  historyCpu: number;
  perMessageCpu: Record<number, number>;
  nodes: Record<number, number>;
}

/** How busy all cores were over `ms`, 0–1, from the kernel's counters (the whole machine, not only Chromium). */
async function busyOver(ms: number): Promise<number> {
  const ticks = () =>
    cpus().reduce(
      (sum, { times: t }) => ({ idle: sum.idle + t.idle, all: sum.all + t.user + t.nice + t.sys + t.idle + t.irq }),
      { idle: 0, all: 0 },
    );
  const a = ticks();
  await sleep(ms);
  const b = ticks();
  return 1 - (b.idle - a.idle) / Math.max(1, b.all - a.all);
}

/** Timed stretches that started on a busy machine (settle gave up waiting). */
let busyStarts = 0;
let timedStarts = 0;

/**
 * Waits until the machine is quiet before a timed stretch. A new page's renderer keeps both cores of a small machine
 * busy for a second or two after it loads, blank or not (0.6 s of CPU in its first half second, on 2 vCPUs), and a
 * history render timed right away took half as long again as one timed 2 s later.
 */
async function settle(): Promise<void> {
  const deadline = Date.now() + QUIET_WAIT;
  timedStarts++;
  while ((await busyOver(QUIET_WINDOW)) > QUIET_BUSY) {
    if (Date.now() > deadline) {
      busyStarts++;
      return;
    }
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The renderer main thread's CPU time so far, ms (the tasks it ran, in thread ticks). */
async function cpuClock(p: Page): Promise<() => Promise<number>> {
  const cdp = await p.context().newCDPSession(p);
  await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
  return async () =>
    1000 * (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'TaskDuration')!.value;
}

async function measure(browser: Browser, base: string, widget: string, script: string): Promise<Result> {
  const page = async () => {
    const p = await browser.newPage({ viewport: { width: 1000, height: 800 } });
    p.on('pageerror', (e) => console.error(`${widget}: ${e.message}`));
    await p.goto(`${base}/`);
    await p.addScriptTag({ url: `${base}${script}`, type: 'module' });
    await p.addScriptTag({ content: DRIVERS });
    await p.waitForFunction((tag) => customElements.get(tag), widget);
    return p;
  };
  const history: number[] = [];
  const historyCpu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const p = await page();
    const cpu = await cpuClock(p);
    // A first, small widget warms the code up; then the measured one starts from a page without it.
    await p.evaluate(async (w) => {
      await (window as unknown as { drivers: Record<string, () => Driver> }).drivers[w]().history(10);
      document.body.replaceChildren();
    }, widget);
    await settle();
    const c0 = await cpu();
    history.push(
      await p.evaluate(
        async ([w, n]) => {
          const d = (window as unknown as { drivers: Record<string, () => Driver> }).drivers[w]();
          const t0 = performance.now();
          await d.history(n);
          return performance.now() - t0;
        },
        [widget, HISTORY] as const,
      ),
    );
    historyCpu.push((await cpu()) - c0);
    await p.close();
  }
  const perMessage: Record<number, number> = {};
  const perMessageCpu: Record<number, number> = {};
  const nodes: Record<number, number> = {};
  for (const held of HELD) {
    const p = await page();
    const cpu = await cpuClock(p);
    const d = await p.evaluateHandle(
      async ([w, n]) => {
        const d = (window as unknown as { drivers: Record<string, () => Driver> }).drivers[w]();
        await d.setup(n);
        const nodes = d.nodes();
        for (let i = 0; i < 10; i++) await d.append(`warm-up ${i}`);
        // What a widget still does in the background after taking in what it holds is no append's cost.
        await new Promise((r) => requestIdleCallback(r));
        return { d, nodes };
      },
      [widget, held] as const,
    );
    await settle();
    const c0 = await cpu();
    const r = await d.evaluate(async ({ d, nodes }, samples) => {
      const times: number[] = [];
      for (let i = 0; i < samples; i++) {
        const t0 = performance.now();
        await d.append(`live message ${i}`);
        times.push(performance.now() - t0);
      }
      return { times, nodes };
    }, SAMPLES);
    perMessageCpu[held] = ((await cpu()) - c0) / SAMPLES;
    perMessage[held] = median(r.times);
    nodes[held] = r.nodes;
    await p.close();
  }
  return { widget, historyMs: median(history), perMessage, historyCpu: median(historyCpu), perMessageCpu, nodes };
}

function table(rows: Result[], machine: string): string {
  const [ours, theirs] = rows as [Result, Result];
  const ms = (v: number) => `${v.toFixed(2)} ms`;
  const x = (a: number, b: number) => `×${(a / b).toFixed(2)}`;
  const lines = [
    `${machine}, \`npm run bench:element\` (${SAMPLES} appends per figure, history: median of ${RUNS}; each timed stretch started once the machine's cores were at most ${QUIET_BUSY * 100} % busy${busyStarts ? `, except ${busyStarts} of ${timedStarts} that waited ${QUIET_WAIT / 1000} s in vain` : ''}):`,
    '',
    '| widget | 1,000 history messages | live message, 1,000 held | live message, 10,000 held | DOM elements, 1,000 held | DOM elements, 10,000 held |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.widget} | ${ms(r.historyMs)} | ${ms(r.perMessage[1000])} | ${ms(r.perMessage[10_000])} | ${r.nodes[1000]} | ${r.nodes[10_000]} |`,
    ),
    `| comet-chat / deep-chat | ${x(ours.historyMs, theirs.historyMs)} | ${x(ours.perMessage[1000], theirs.perMessage[1000])} | ${x(ours.perMessage[10_000], theirs.perMessage[10_000])} | ${x(ours.nodes[1000], theirs.nodes[1000])} | ${x(ours.nodes[10_000], theirs.nodes[10_000])} |`,
    '',
    "The same, as the renderer main thread's CPU time (history: median of the same renders; live message: mean of the same appends):",
    '',
    '| widget | 1,000 history messages | live message, 1,000 held | live message, 10,000 held |',
    '|---|---:|---:|---:|',
    ...rows.map(
      (r) => `| ${r.widget} | ${ms(r.historyCpu)} | ${ms(r.perMessageCpu[1000])} | ${ms(r.perMessageCpu[10_000])} |`,
    ),
    `| comet-chat / deep-chat | ${x(ours.historyCpu, theirs.historyCpu)} | ${x(ours.perMessageCpu[1000], theirs.perMessageCpu[1000])} | ${x(ours.perMessageCpu[10_000], theirs.perMessageCpu[10_000])} |`,
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  const server = createServer((req, res) => {
    const file = fileOf(req.url ?? '');
    res.writeHead(200, { 'Content-Type': file ? 'text/javascript' : 'text/html' });
    res.end(file ? readFileSync(file) : PAGE);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const load = loadNow();
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  try {
    const rows = [
      await measure(browser, base, 'comet-chat', '/comet-chat.js'),
      await measure(browser, base, 'deep-chat', '/deep-chat.js'),
    ];
    const version = (JSON.parse(readFileSync('node_modules/deep-chat/package.json', 'utf8')) as { version: string })
      .version;
    rows[1].widget = `deep-chat ${version}`;
    const report = table(rows, `${machine(load)}, Chromium ${browser.version()} headless, Node ${process.version}`);
    console.log(`\n${report}\n`);
    if (process.argv.includes('--docs')) {
      const doc = readFileSync(DOCS, 'utf8');
      const a = doc.indexOf(START);
      const b = doc.indexOf(END);
      if (a === -1 || b < a) throw new Error(`${DOCS} lacks the ${START} … ${END} markers`);
      writeFileSync(DOCS, `${doc.slice(0, a + START.length)}\n${report}\n${doc.slice(b)}`);
      console.log(`updated ${DOCS}`);
    }
  } finally {
    await browser.close();
    server.close();
  }
}

await main();
