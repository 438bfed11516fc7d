/**
 * The busy-room rows of `npm run bench`: one pipe (room) with S subscribers and messages published at a
 * steady rate, on bare Socket.IO and on our server, in the same run.
 *
 * Subscribers are light clients (bench/light-client.ts) in a few load processes, so the load generator
 * costs less than the server; publishers are socket.io-client connections in this process, fired at the
 * rate without waiting for each other. For each server and rate: the server's CPU time per delivery,
 * publish → arrival latency (p50, p99 over every delivery), and messages lost (expected − received).
 * Our server is measured twice: with clients that take `batch` events (a busy pipe's messages several
 * to a frame) and with clients that do not (every message in its own frame, as before batching).
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { nextSourceAddress, startLoadChild, withTimeout, type LoadChild } from './connections.js';
import { BENCH_APP, connectClient, type BenchClient, type Dialect } from './protocol.js';
import { percentile } from './report.js';
import { startServer, type ServerChild, type ServerKind } from './server-child.js';

export interface BusyOptions {
  subscribers: number;
  /** Messages per second, each measured for `seconds`. */
  rates: number[];
  seconds: number;
  /** Publisher connections the messages are spread over (our per-connection request guard stays on). */
  publishers: number;
}

export interface BusyRow {
  name: string;
  rate: number;
  cpuPerDelivery: number;
  p50: number;
  p99: number;
  lost: number;
  deliveries: number;
  /** Messages a subscriber got per event frame: 1 without batches. */
  messagesPerFrame: number;
}

interface Target {
  name: string;
  kind: ServerKind;
  dialect: Dialect;
  batch: boolean;
}

const TARGETS: Target[] = [
  { name: 'bare Socket.IO (baseline)', kind: 'socketio', dialect: 'socketio', batch: false },
  { name: 'comet-chat, without batches', kind: 'comet', dialect: 'comet', batch: false },
  { name: 'comet-chat, with batches', kind: 'comet', dialect: 'comet', batch: true },
];
const PER_LOAD_PROCESS = 50;
const TEXT = 'x'.repeat(100);

async function measureTarget(target: Target, options: BusyOptions): Promise<BusyRow[]> {
  let server: ServerChild | undefined;
  const loads: LoadChild[] = [];
  const publishers: BenchClient[] = [];
  try {
    server = await startServer(target.kind, { cpuProfDir: process.env.BENCH_CPU_PROF });
    const processes = Math.ceil(options.subscribers / PER_LOAD_PROCESS);
    loads.push(...(await Promise.all(Array.from({ length: processes }, startLoadChild))));
    await withTimeout(
      'connect',
      Promise.all(
        loads.map((load, i) =>
          load.open({
            url: server!.url,
            count: Math.floor(options.subscribers / processes) + (i < options.subscribers % processes ? 1 : 0),
            dialect: target.dialect,
            app: BENCH_APP,
            batch: target.batch,
            localAddress: nextSourceAddress(),
            inFlight: 16,
          }),
        ),
      ),
    );
    for (let i = 0; i < options.publishers; i++)
      publishers.push(await connectClient(target.dialect, server.url, BENCH_APP));
    const tally = async () => {
      const counts = await Promise.all(loads.map((l) => l.counts()));
      return { received: counts.reduce((n, c) => n + c.received, 0), frames: counts.reduce((n, c) => n + c.frames, 0) };
    };
    const received = async () => (await tally()).received;
    const rows: BusyRow[] = [];
    let seq = 0;
    for (const rate of options.rates) {
      const messages = Math.round(rate * options.seconds);
      const { received: before, frames: framesBefore } = await tally();
      await Promise.all(loads.map((l) => l.latencies()));
      const cpuBefore = await server.cpu();
      // On schedule: each tick sends what the elapsed time calls for, so a late timer does not lower the rate.
      const started = performance.now();
      let sent = 0;
      let failed = 0;
      while (sent < messages) {
        const due = Math.min(messages, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
        for (; sent < due; sent++) {
          const publisher = publishers[seq % publishers.length];
          publisher
            .publish({ sentAt: performance.timeOrigin + performance.now(), seq: seq++, text: TEXT })
            .catch(() => (failed += 1));
        }
        await sleep(Math.max(1, Math.min(20, 1000 / rate)));
      }
      // Until everything arrived, or a few quiet seconds say the rest is lost.
      const expected = before + messages * options.subscribers;
      let last = -1;
      for (let now = await received(); now < expected && now !== last; now = await received()) {
        last = now;
        await sleep(2000);
      }
      const cpu = (await server.cpu()) - cpuBefore;
      const after = await tally();
      const got = after.received - before;
      const latencies = (await Promise.all(loads.map((l) => l.latencies()))).flat();
      if (failed > 0) throw new Error(`${target.name}: ${failed} publishes failed`);
      rows.push({
        name: target.name,
        rate,
        cpuPerDelivery: cpu / Math.max(1, got),
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        lost: messages * options.subscribers - got,
        deliveries: got,
        messagesPerFrame: got / Math.max(1, after.frames - framesBefore),
      });
    }
    return rows;
  } finally {
    for (const p of publishers) p.close();
    await Promise.all(loads.map((l) => l.close()));
    await server?.close();
  }
}

export async function measureBusy(options: BusyOptions, log: (line: string) => void): Promise<BusyRow[]> {
  const rows: BusyRow[] = [];
  // BENCH_ONLY=text: the baseline and the rows whose name contains the text.
  const only = process.env.BENCH_ONLY;
  for (const target of TARGETS.filter((t, i) => i === 0 || !only || t.name.includes(only))) {
    log(`  ${target.name} … `);
    const measured = await measureTarget(target, options);
    rows.push(...measured);
    log(
      `${measured.map((r) => `${r.rate}/s: ${r.cpuPerDelivery.toFixed(1)} µs CPU, p99 ${r.p99.toFixed(0)} ms, ${r.messagesPerFrame.toFixed(2)} per frame`).join('; ')}\n`,
    );
  }
  return rows;
}

const ms = (v: number) => `${v.toFixed(1)} ms`;

/** Ratios first (CPU against bare Socket.IO, latency against bare and against our server before batching), then the figures. */
export function formatBusyTable(rows: BusyRow[], subscribers: number): string {
  const find = (name: string, rate: number) => rows.find((r) => r.name.startsWith(name) && r.rate === rate);
  const lines = [
    `| ${subscribers} subscribers, with batches | rate | CPU / delivery vs bare Socket.IO | p99 − bare p99 | p50, p99 vs without batches | lost |`,
    '|---|---:|---:|---:|---:|---:|',
  ];
  for (const rate of [...new Set(rows.map((r) => r.rate))]) {
    const [base, before, ours] = [
      find('bare', rate),
      find('comet-chat, without', rate),
      find('comet-chat, with batches', rate),
    ];
    if (!base || !before || !ours) continue;
    lines.push(
      `| comet-chat | ${rate}/s | ×${(ours.cpuPerDelivery / base.cpuPerDelivery).toFixed(2)} | ${ours.p99 - base.p99 >= 0 ? '+' : ''}${(ours.p99 - base.p99).toFixed(1)} ms | ×${(ours.p50 / before.p50).toFixed(2)}, ×${(ours.p99 / before.p99).toFixed(2)} | ${ours.lost} |`,
    );
  }
  lines.push(
    '',
    '| server | rate | deliveries | messages / frame | server CPU / delivery | latency p50 | latency p99 | lost |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.rate}/s | ${r.deliveries.toLocaleString('en')} | ${r.messagesPerFrame.toFixed(2)} | ${r.cpuPerDelivery.toFixed(1)} µs | ${ms(r.p50)} | ${ms(r.p99)} | ${r.lost} |`,
    ),
  );
  return lines.join('\n');
}
