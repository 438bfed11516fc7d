/**
 * `npm run bench`: our server against bare Socket.IO, measured in the same run on loopback, in parts
 * (BENCH_PARTS, default all: fanout,busy,connections,heap).
 *
 * fanout — for each server (each in its own child process): connect N subscribers and W publishers, then
 *  1. heap per connection: heap in use after a full GC, before and after connecting, divided by N+W;
 *  2. fan-out throughput: M messages, W in flight (one per publisher), deliveries per second
 *     until every subscriber has every message, and the server's CPU time per delivery (the
 *     steadier number when the load generator, on the same machine, is itself the bottleneck);
 *  3. delivery latency: S messages one at a time, publish → arrival at each subscriber, p50 / p99;
 *     and publish → the publisher's ack (for us: the delivery report with number_messages).
 * Prints one markdown table with the ratios ours / baseline. Bounded: ≤ ~500 connections, ~1 minute.
 *
 * busy — one pipe, 200 subscribers, 200 then 5 messages a second, bare Socket.IO and ours without and
 * with batches (bench/busy.ts): CPU per delivery, latency, losses.
 * connections — many idle subscribed connections per node (bench/connections.ts): open rate, memory
 * and idle CPU per connection, one message to all. heap — where the heap per connection goes, from two
 * heap snapshots of each server (bench/heap-summary.ts). The last line names the machine.
 *
 * Knobs (environment): BENCH_SUBSCRIBERS (300), BENCH_MESSAGES (200), BENCH_SAMPLES (40), BENCH_WINDOW (8),
 * BENCH_REDIS=redis://… adds our server on the Redis store and adapter: one node, then two nodes with
 * the subscribers spread over both (the messages cross Redis to reach half of them).
 * BENCH_ONLY=text keeps the baseline and the rows whose name contains the text. BENCH_CPU_PROF=dir
 * writes a CPU profile of every server process there. BENCH_CONNECTIONS (18,000 per node),
 * BENCH_PER_PROCESS (6,000 per load process), BENCH_IN_FLIGHT (32 handshakes at once per load process),
 * BENCH_IDLE_MS (25,000), BENCH_HEAP_CONNECTIONS (2,000), BENCH_BUSY_SUBSCRIBERS (200),
 * BENCH_BUSY_SECONDS (10), BENCH_COALESCE_MS (the server's batching window).
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  BENCH_APP,
  BENCH_RECEIPTS_APP,
  connectClient,
  type BenchClient,
  type Dialect,
  type Payload,
} from './protocol.js';
import { formatBusyTable, measureBusy } from './busy.js';
import { formatConnectionsTable, measureConnections, measureHeapSummary } from './connections.js';
import { percentile, formatTable, loadNow, machine, type Row } from './report.js';
import { startServer, type ServerChild, type ServerKind } from './server-child.js';

const SUBSCRIBERS = Math.min(Number(process.env.BENCH_SUBSCRIBERS ?? 300), 480);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 200);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 40);
const WINDOW = Number(process.env.BENCH_WINDOW ?? 8);
const REDIS_URL = process.env.BENCH_REDIS;
/** Socket.IO pings each connection once per 25 s: idle CPU is measured over one such interval. */
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 25_000);
/** Connections per load process: a process may hold at most 20,000 open files on the machines this runs on. */
const PER_LOAD_PROCESS = Math.min(Number(process.env.BENCH_PER_PROCESS ?? 6000), 19_000);
/** No single phase may hang the run. */
const PHASE_TIMEOUT_MS = 20_000;
const TEXT = 'x'.repeat(100);

interface Target {
  name: string;
  kind: ServerKind;
  dialect: Dialect;
  app?: string;
  /** Server processes (Redis only): subscribers are spread over them, publishers use the first. */
  nodes?: number;
}

const allTargets: Target[] = [
  { name: 'bare Socket.IO (baseline)', kind: 'socketio', dialect: 'socketio' },
  { name: 'comet-chat', kind: 'comet', dialect: 'comet', app: BENCH_APP },
  { name: 'comet-chat, receipts mode', kind: 'comet', dialect: 'comet', app: BENCH_RECEIPTS_APP },
  ...(REDIS_URL
    ? ([
        { name: 'comet-chat on Redis, 1 node', kind: 'comet-redis', dialect: 'comet', app: BENCH_APP },
        { name: 'comet-chat on Redis, 2 nodes', kind: 'comet-redis', dialect: 'comet', app: BENCH_APP, nodes: 2 },
      ] as const)
    : []),
];
/** The baseline, and the rows whose name contains BENCH_ONLY (all when unset). */
const targets = allTargets.filter(
  (t, i) => i === 0 || !process.env.BENCH_ONLY || t.name.includes(process.env.BENCH_ONLY),
);

/* ---- measurements ---- */

function withTimeout<T>(what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${PHASE_TIMEOUT_MS} ms`)), PHASE_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Resolves when `count` deliveries have arrived (the subscribers' listener calls `arrived`). */
class DeliveryCounter {
  private seen = 0;
  private goal = Infinity;
  private wake: () => void = () => undefined;
  arrived(): void {
    if (++this.seen >= this.goal) this.wake();
  }
  until(goal: number): Promise<void> {
    this.goal = goal;
    return this.seen >= goal ? Promise.resolve() : new Promise((resolve) => (this.wake = resolve));
  }
  reset(): void {
    this.seen = 0;
    this.goal = Infinity;
  }
}

/** `count` clients, the i-th on `urls[i % urls.length]`. */
async function connectAll(target: Target, urls: string[], count: number): Promise<BenchClient[]> {
  const clients: BenchClient[] = [];
  // In batches: a burst of 500 handshakes at once measures the accept queue, not the server.
  for (let i = 0; i < count; i += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, count - i) }, (_, j) =>
        connectClient(target.dialect, urls[(i + j) % urls.length], target.app),
      ),
    );
    clients.push(...batch);
  }
  return clients;
}

async function measure(target: Target): Promise<Row> {
  const redisPrefix = `bench-${randomBytes(4).toString('hex')}`;
  const servers: ServerChild[] = [];
  const clients: BenchClient[] = [];
  // Summed over every server process of the target.
  const heap = async () => (await Promise.all(servers.map((s) => s.heap()))).reduce((a, b) => a + b, 0);
  const cpu = async () => (await Promise.all(servers.map((s) => s.cpu()))).reduce((a, b) => a + b, 0);
  try {
    for (let i = 0; i < (target.nodes ?? 1); i++)
      servers.push(
        await startServer(target.kind, { redisUrl: REDIS_URL, redisPrefix, cpuProfDir: process.env.BENCH_CPU_PROF }),
      );
    const heapBefore = await heap();
    const urls = servers.map((s) => s.url);
    const subscribers = await withTimeout('connect', connectAll(target, urls, SUBSCRIBERS));
    clients.push(...subscribers);
    await Promise.all(subscribers.map((c) => c.subscribe()));
    // One publisher per lane: our server's per-connection flood guard (60 requests, then 30/s) is
    // part of the product, and a real chat has many senders, not one firehose.
    const publishers = await Promise.all(
      Array.from({ length: WINDOW }, () => connectClient(target.dialect, urls[0], target.app)),
    );
    clients.push(...publishers);
    const heapPerConnection = ((await heap()) - heapBefore) / (SUBSCRIBERS + WINDOW);

    const counter = new DeliveryCounter();
    const latencies: number[] = [];
    let recordLatency = false;
    for (const sub of subscribers) {
      sub.onPayload((p: Payload) => {
        if (recordLatency) latencies.push(performance.now() - p.sentAt);
        counter.arrived();
      });
    }
    let seq = 0;
    const publish = (lane = seq % WINDOW) =>
      publishers[lane].publish({ sentAt: performance.now(), seq: seq++, text: TEXT });

    // Warm-up: JIT, buffers, the first history writes.
    for (let i = 0; i < 20; i++) await publish();
    await withTimeout('warm-up', counter.until(20 * SUBSCRIBERS));

    // 1. Throughput: keep WINDOW publishes in flight.
    counter.reset();
    const cpuBefore = await cpu();
    const started = performance.now();
    let sent = 0;
    const lane = async (index: number) => {
      while (sent < MESSAGES) {
        sent++;
        await publish(index);
      }
    };
    await withTimeout(
      'fan-out',
      Promise.all([...Array.from({ length: WINDOW }, (_, i) => lane(i)), counter.until(MESSAGES * SUBSCRIBERS)]),
    );
    const deliveriesPerSecond = (MESSAGES * SUBSCRIBERS) / ((performance.now() - started) / 1000);
    const cpuPerDelivery = ((await cpu()) - cpuBefore) / (MESSAGES * SUBSCRIBERS);

    // 2. Latency: one message at a time, everyone must have it before the next.
    const acks: number[] = [];
    recordLatency = true;
    for (let i = 0; i < SAMPLES; i++) {
      counter.reset();
      const t0 = performance.now();
      await withTimeout('latency', publish());
      acks.push(performance.now() - t0);
      await withTimeout('latency', counter.until(SUBSCRIBERS));
    }

    return {
      name: target.name,
      deliveriesPerSecond,
      cpuPerDelivery,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      ackP50: percentile(acks, 50),
      heapPerConnection,
    };
  } finally {
    for (const c of clients) c.close();
    await Promise.all(servers.map((s) => s.close()));
    if (target.kind === 'comet-redis') {
      const { deleteKeysUnder } = await import('../test/cluster/redis-keys.js');
      await deleteKeysUnder(redisPrefix);
    }
  }
}

const t0 = performance.now();
const load = loadNow();
const parts = new Set((process.env.BENCH_PARTS ?? 'fanout,busy,connections,heap').split(','));

if (parts.has('fanout')) {
  const rows: Row[] = [];
  console.log(
    `Fan-out: ${SUBSCRIBERS} subscribers + ${WINDOW} publishers, ${MESSAGES} messages (window ${WINDOW}), ${SAMPLES} latency samples, payload ~${TEXT.length + 40} B`,
  );
  for (const target of targets) {
    process.stdout.write(`  ${target.name} … `);
    const row = await measure(target);
    rows.push(row);
    console.log(`${Math.round(row.deliveriesPerSecond)} deliveries/s, ${row.cpuPerDelivery.toFixed(1)} µs CPU each`);
  }
  console.log(`\n${formatTable(rows)}\n`);
}

if (parts.has('busy')) {
  const subscribers = Number(process.env.BENCH_BUSY_SUBSCRIBERS ?? 200);
  const seconds = Number(process.env.BENCH_BUSY_SECONDS ?? 10);
  console.log(`Busy room: ${subscribers} subscribers of one pipe, 200 and 5 messages a second for ${seconds} s each`);
  const rows = await measureBusy({ subscribers, rates: [200, 5], seconds, publishers: 8 }, (line) =>
    process.stdout.write(line),
  );
  console.log(`\n${formatBusyTable(rows, subscribers)}\n`);
}

if (parts.has('connections')) {
  const connections = Number(process.env.BENCH_CONNECTIONS ?? 18_000);
  console.log(`Many connections: ${connections.toLocaleString('en')} per node, idle CPU over ${IDLE_MS / 1000} s`);
  const rows = await measureConnections(
    {
      connections,
      perProcess: PER_LOAD_PROCESS,
      inFlight: Number(process.env.BENCH_IN_FLIGHT ?? 32),
      idleMs: IDLE_MS,
      redisUrl: REDIS_URL,
      redisPrefix: `bench-${randomBytes(4).toString('hex')}`,
    },
    (line) => process.stdout.write(line),
  );
  console.log(`\n${formatConnectionsTable(rows)}\n`);
}

if (parts.has('heap')) {
  const connections = Number(process.env.BENCH_HEAP_CONNECTIONS ?? 2000);
  console.log(`Heap snapshots, ${connections.toLocaleString('en')} connections each:\n`);
  console.log(`${await measureHeapSummary(connections, 25)}\n`);
}

console.log(`${machine(load)}, Node ${process.version}, ${((performance.now() - t0) / 1000) | 0} s`);
