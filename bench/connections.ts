/**
 * The many-connections rows of `npm run bench`: thousands of idle, subscribed connections on our server
 * and on bare Socket.IO, in the same run.
 *
 * For each server: connect N light clients (bench/light-client.ts: the real Engine.IO / Socket.IO
 * protocol over `ws`), each subscribed to the bench pipe (joined to the room), from several load
 * processes (bench/load-child.ts), each under the open-file limit and on its own loopback source
 * address; then
 *  1. open rate: connections opened, CONNECTed and subscribed per second, all processes together;
 *  2. memory per connection: the server's resident set size and heap (after a full GC), before and
 *     after, divided by N;
 *  3. idle CPU: the server's CPU time over one Socket.IO ping interval with nobody talking, per 10,000
 *     connections (each connection is pinged once in it);
 *  4. one message to all: one publish, every connection must receive it exactly once, and our
 *     delivery report must count them all.
 * With a Redis URL, our server on two nodes over Redis with twice the connections, half on each.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { censusOf, formatHeapSummary, perConnection, type PerConnection } from './heap-summary.js';
import type { OpenOrder } from './load-child.js';
import { BENCH_APP, BENCH_PIPE, connectClient, type Dialect } from './protocol.js';
import { startServer, type ServerChild, type ServerKind } from './server-child.js';

export interface ConnectionsOptions {
  /** Connections per node. */
  connections: number;
  /** Connections one load process holds (each process may hold at most 20,000 open files here). */
  perProcess: number;
  /** Handshakes under way at once, per load process. */
  inFlight: number;
  /** How long idle CPU is measured: Socket.IO pings every connection once per 25 s. */
  idleMs: number;
  redisUrl?: string;
  redisPrefix: string;
}

export interface ConnectionsRow {
  name: string;
  connections: number;
  opensPerSecond: number;
  /** Share of the open phase the server's event loop was busy (the busiest node's). */
  loopBusy: number;
  /** Server CPU time per connection opened, µs (every thread of the process). */
  cpuPerOpen: number;
  /** The load generator's CPU time per connection opened, µs. */
  generatorCpuPerOpen: number;
  /** The load generator's resident memory per connection, bytes. */
  generatorRssPerConnection: number;
  rssPerConnection: number;
  heapPerConnection: number;
  /** Cores busy per 10,000 idle connections. */
  idleCoresPer10k: number;
  /** Connections that received the one message exactly once. */
  deliveredOnce: number;
  /** The delivery report's number_messages (ours only). */
  reported?: number;
  /** Publish → the last connection has it, ms. */
  toAllMs: number;
}

interface Target {
  name: string;
  kind: ServerKind;
  dialect: Dialect;
  nodes: number;
}

/** A phase that hangs ends the run instead. */
const PHASE_TIMEOUT_MS = 180_000;

/** Each load process gets a loopback source address of its own, never reused within a run (closed ports linger in TIME_WAIT for a minute). */
let addressesUsed = 0;
export function nextSourceAddress(): string {
  const n = addressesUsed++;
  return `127.0.${1 + Math.floor(n / 250)}.${2 + (n % 250)}`;
}

export function withTimeout<T>(what: string, promise: Promise<T>, ms = PHASE_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

interface Opened {
  opened: number;
  failed: number;
  /** CPU time the load process spent, µs. */
  cpu: number;
  /** How much the load process's resident set grew, bytes. */
  rss: number;
  error?: string;
}

/** Messages and event frames received so far, clients that received exactly one, the last arrival (wall-clock ms). */
export interface Counts {
  received: number;
  frames: number;
  exactlyOnce: number;
  lastArrival: number;
}

export interface LoadChild {
  open(order: OpenOrder): Promise<Opened>;
  counts(): Promise<Counts>;
  latencies(): Promise<number[]>;
  close(): Promise<void>;
}

export async function startLoadChild(): Promise<LoadChild> {
  const entry = fileURLToPath(new URL('./load-child.ts', import.meta.url));
  // BENCH_CPU_PROF profiles the load processes too: the generator must be shown not to be what limits the rate.
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const child: ChildProcess = fork(entry, [], { execArgv: ['--import', 'tsx', ...profile], stdio: 'inherit' });
  const next = <T>(pick: (msg: Record<string, unknown>) => boolean): Promise<T> =>
    new Promise((resolve, reject) => {
      const onMessage = (msg: Record<string, unknown>) => {
        if (!pick(msg)) return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(msg as T);
      };
      const onExit = (code: number | null) => reject(new Error(`load process exited (${code})`));
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  await next((m) => m.ready === true);
  return {
    open(order) {
      const reply = next<Opened>((m) => typeof m.opened === 'number');
      child.send({ open: order });
      return reply;
    },
    counts() {
      const reply = next<Counts>((m) => typeof m.received === 'number');
      child.send('counts');
      return reply;
    },
    latencies() {
      const reply = next<{ latencies: number[] }>((m) => Array.isArray(m.latencies));
      child.send('latencies');
      return reply.then((m) => m.latencies);
    },
    close() {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.send('close');
      return exited;
    },
  };
}

async function measureTarget(target: Target, options: ConnectionsOptions): Promise<ConnectionsRow> {
  const total = options.connections * target.nodes;
  const servers: ServerChild[] = [];
  const loads: LoadChild[] = [];
  const sum = async (f: (s: ServerChild) => Promise<number>) =>
    (await Promise.all(servers.map(f))).reduce((a, b) => a + b, 0);
  try {
    for (let i = 0; i < target.nodes; i++)
      servers.push(
        await startServer(target.kind, {
          redisUrl: options.redisUrl,
          redisPrefix: options.redisPrefix,
          cpuProfDir: process.env.BENCH_CPU_PROF,
        }),
      );
    const processes = Math.ceil(total / options.perProcess);
    loads.push(...(await Promise.all(Array.from({ length: processes }, startLoadChild))));
    const rssBefore = await sum((s) => s.rss());
    const heapBefore = await sum((s) => s.heap());

    // 1. Open rate: every load process at once, each with its share, the i-th on node i % nodes.
    const cpuBeforeOpen = await sum((s) => s.cpu());
    const loopBefore = await Promise.all(servers.map((s) => s.loop()));
    const started = performance.now();
    const results = await withTimeout(
      'connect',
      Promise.all(
        loads.map((load, i) =>
          load.open({
            url: servers[i % servers.length].url,
            count: Math.floor(total / processes) + (i < total % processes ? 1 : 0),
            dialect: target.dialect,
            app: BENCH_APP,
            localAddress: nextSourceAddress(),
            inFlight: options.inFlight,
          }),
        ),
      ),
      // A shared machine may open only ~200 a second.
      Math.max(PHASE_TIMEOUT_MS, total * 20),
    );
    const opensPerSecond = total / ((performance.now() - started) / 1000);
    const cpuPerOpen = ((await sum((s) => s.cpu())) - cpuBeforeOpen) / total;
    // The busiest node's event loop: near 100 % it is the server's one thread that bounds the rate.
    const loopBusy = Math.max(
      ...(await Promise.all(servers.map((s) => s.loop()))).map(({ active, idle }, i) => {
        const busy = active - loopBefore[i].active;
        return busy / (busy + idle - loopBefore[i].idle);
      }),
    );
    const generatorCpuPerOpen = results.reduce((n, r) => n + r.cpu, 0) / total;
    const generatorRssPerConnection = results.reduce((n, r) => n + r.rss, 0) / total;
    const failed = results.reduce((n, r) => n + r.failed, 0);
    if (failed > 0)
      throw new Error(
        `${target.name}: ${failed} of ${total} connections failed (${results.find((r) => r.error)?.error})`,
      );

    // 2. Memory.
    const rssPerConnection = ((await sum((s) => s.rss())) - rssBefore) / total;
    const heapPerConnection = ((await sum((s) => s.heap())) - heapBefore) / total;

    // 3. Idle CPU over one ping interval.
    const cpuBefore = await sum((s) => s.cpu());
    await sleep(options.idleMs);
    const idleCores = ((await sum((s) => s.cpu())) - cpuBefore) / 1000 / options.idleMs;

    // 4. One message to everyone, through the first node.
    const publisher = await connectClient(target.dialect, servers[0].url, BENCH_APP);
    let reported: number | undefined;
    const sentAt = performance.timeOrigin + performance.now();
    if (target.dialect === 'comet') {
      const res = (await publisher.socket.emitWithAck('publish', { pipe: BENCH_PIPE, data: { text: 'to all' } })) as {
        number_messages: number;
      };
      reported = res.number_messages;
    } else {
      await publisher.publish({ sentAt, seq: 0, text: 'to all' });
    }
    publisher.close();
    let counts = await Promise.all(loads.map((l) => l.counts()));
    const deadline = performance.now() + 30_000;
    while (counts.reduce((n, c) => n + c.received, 0) < total && performance.now() < deadline) {
      await sleep(100);
      counts = await Promise.all(loads.map((l) => l.counts()));
    }
    return {
      name: target.name,
      connections: total,
      opensPerSecond,
      loopBusy,
      cpuPerOpen,
      generatorCpuPerOpen,
      generatorRssPerConnection,
      rssPerConnection,
      heapPerConnection,
      idleCoresPer10k: (idleCores * 10_000) / total,
      deliveredOnce: counts.reduce((n, c) => n + c.exactlyOnce, 0),
      ...(reported === undefined ? {} : { reported }),
      toAllMs: Math.max(...counts.map((c) => c.lastArrival)) - sentAt,
    };
  } finally {
    await Promise.all(loads.map((l) => l.close()));
    await Promise.all(servers.map((s) => s.close()));
    if (target.kind === 'comet-redis') {
      const { deleteKeysUnder } = await import('../test/cluster/redis-keys.js');
      await deleteKeysUnder(options.redisPrefix);
    }
  }
}

export async function measureConnections(
  options: ConnectionsOptions,
  log: (line: string) => void,
): Promise<ConnectionsRow[]> {
  const targets: Target[] = [
    { name: 'bare Socket.IO (baseline)', kind: 'socketio', dialect: 'socketio', nodes: 1 },
    { name: 'comet-chat', kind: 'comet', dialect: 'comet', nodes: 1 },
    ...(options.redisUrl
      ? [{ name: 'comet-chat on Redis, 2 nodes', kind: 'comet-redis' as const, dialect: 'comet' as const, nodes: 2 }]
      : []),
  ];
  const rows: ConnectionsRow[] = [];
  for (const target of targets) {
    log(`  ${target.name}, ${(options.connections * target.nodes).toLocaleString('en')} connections … `);
    const row = await measureTarget(target, options);
    rows.push(row);
    log(
      `${Math.round(row.opensPerSecond)} opened/s (server loop ${Math.round(row.loopBusy * 100)} % busy), ${(row.rssPerConnection / 1024).toFixed(1)} KB RSS each\n`,
    );
  }
  return rows;
}

/**
 * The heap snapshot summary: bare Socket.IO and our server, each with `connections` subscribed
 * connections (a few thousand are plenty: what each one holds does not depend on how many there are).
 */
export async function measureHeapSummary(connections: number, top: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'comet-bench-heap-'));
  const census = async (kind: ServerKind, dialect: Dialect): Promise<PerConnection[]> => {
    const server = await startServer(kind);
    const load = await startLoadChild();
    try {
      await server.snapshot(join(dir, `${kind}-before.heapsnapshot`));
      const { opened } = await withTimeout(
        'connect',
        load.open({
          url: server.url,
          count: connections,
          dialect,
          app: BENCH_APP,
          localAddress: nextSourceAddress(),
          inFlight: 16,
        }),
      );
      if (opened !== connections) throw new Error(`heap summary: ${opened} of ${connections} connected`);
      await server.snapshot(join(dir, `${kind}-after.heapsnapshot`));
    } finally {
      await load.close();
      await server.close();
    }
    const before = await censusOf(join(dir, `${kind}-before.heapsnapshot`));
    return perConnection(before, await censusOf(join(dir, `${kind}-after.heapsnapshot`)), connections);
  };
  try {
    const base = await census('socketio', 'socketio');
    return formatHeapSummary(base, await census('comet', 'comet'), top);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const ratio = (ours: number, base: number) => `×${(ours / base).toFixed(2)}`;

/** Ratios to the baseline first, then the absolute figures. */
export function formatConnectionsTable(rows: ConnectionsRow[]): string {
  const [base] = rows;
  const lines: string[] = [];
  if (base && rows.length > 1) {
    lines.push(
      '| ours / baseline | open rate | server CPU / open | RSS / connection | heap / connection | idle CPU / connection |',
      '|---|---:|---:|---:|---:|---:|',
      ...rows
        .slice(1)
        .map(
          (r) =>
            `| ${r.name} | ${ratio(r.opensPerSecond, base.opensPerSecond)} | ${ratio(r.cpuPerOpen, base.cpuPerOpen)} | ${ratio(r.rssPerConnection, base.rssPerConnection)} | ${ratio(r.heapPerConnection, base.heapPerConnection)} | ${ratio(r.idleCoresPer10k, base.idleCoresPer10k)} |`,
        ),
      '',
    );
  }
  lines.push(
    '| server | connections | opened / s | server loop busy while opening | server CPU / open | RSS / connection | heap / connection | idle CPU per 10,000 | one message: received once | number_messages | to the last | generator CPU / open | generator RSS / connection |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.connections.toLocaleString('en')} | ${Math.round(r.opensPerSecond).toLocaleString('en')} | ${Math.round(r.loopBusy * 100)} % | ${Math.round(r.cpuPerOpen)} µs | ${kb(r.rssPerConnection)} | ${kb(r.heapPerConnection)} | ${(r.idleCoresPer10k * 100).toFixed(2)} % of a core | ${r.deliveredOnce.toLocaleString('en')} | ${r.reported?.toLocaleString('en') ?? '–'} | ${Math.round(r.toAllMs)} ms | ${Math.round(r.generatorCpuPerOpen)} µs | ${kb(r.generatorRssPerConnection)} |`,
    ),
  );
  return lines.join('\n');
}
