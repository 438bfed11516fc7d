/**
 * One server under test, in its own process so its heap and CPU are its own and the load
 * generator (bench/run.ts) does not share an event loop with it.
 *
 *   node --expose-gc --import tsx bench/server-process.ts <kind> [redisUrl prefix]
 *
 * kind: `socketio` (bare Socket.IO room broadcast, the baseline), `comet` (our server, in memory),
 * `comet-redis` (our server on the Redis store and adapter). Talks to the parent over IPC:
 * sends `{ ready, url }`, answers `heap` and `rss` with the heap in use and the resident set size (less the empty young generation) after a
 * full GC, `cpu` with the process's CPU time so far (µs; every thread: GC helpers too), `loop` with the
 * event loop's busy and idle time so far (ms: the one thread that serves connections), `{ snapshot: path }` by writing a heap snapshot
 * there, and exits on `close`.
 */
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
// The built server (npm run build), as production runs it: tsx would rename closures (esbuild's keepNames) and cost memory per connection.
import { createCometServer } from '../lib/server/index.js';
import { BENCH_APP, BENCH_RECEIPTS_APP } from './protocol.js';

type Closer = () => Promise<void>;

/** The baseline: what a developer would write by hand with Socket.IO and rooms. */
async function startSocketIo(): Promise<{ url: string; close: Closer }> {
  const http = createServer();
  const io = new Server(http, { transports: ['websocket'] });
  io.on('connection', (socket) => {
    socket.on('join', (room: string, ack: () => void) => {
      void socket.join(room);
      ack();
    });
    socket.on('pub', (room: string, data: unknown, ack: () => void) => {
      socket.to(room).emit('message', data);
      ack();
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => void io.close(() => resolve())) };
}

async function startComet(redisUrl?: string, prefix?: string): Promise<{ url: string; close: Closer }> {
  const server = await createCometServer({
    port: 0,
    host: '127.0.0.1',
    memory: true,
    cometqlPort: false,
    // The bench measures fan-out, not the flood guards: its one publisher and many connections from one address go unlimited.
    limits: {
      publish: { burst: 1_000_000, perSecond: 1_000_000 },
      handshakes: { burst: 1_000_000, perSecond: 1_000_000 },
      connectionsPerAddress: 1_000_000,
      socketsPerAddress: 1_000_000,
    },
    apps: [
      { id: BENCH_APP, origins: '*' },
      { id: BENCH_RECEIPTS_APP, origins: '*', receipts: true },
    ],
    ...(redisUrl ? { redisUrl, redisPrefix: prefix } : {}),
    // BENCH_COALESCE_MS tries another window for busy pipes (the default otherwise).
    ...(process.env.BENCH_COALESCE_MS ? { coalesceMs: Number(process.env.BENCH_COALESCE_MS) } : {}),
  });
  return { url: server.url, close: () => server.close() };
}

/**
 * Full GCs, the last one memory-reducing (it compacts fragmented pages and gives them back, as V8's memory
 * reducer does to an idle process): what is left is what the process holds, not how its heap last grew.
 */
function fullGc(): void {
  const gc = (globalThis as { gc?: (options?: object) => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  for (let i = 0; i < 2; i++) gc();
  gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
}

/**
 * Resident memory less the young generation's pages: empty after a full GC, they are V8's reserve for fast
 * allocation, grown from 1 to 2 × 16 MB with the allocation rate; whether that happened between the two
 * readings would otherwise swing the figure per connection by up to 1.5 KB at 18,000 connections.
 */
function residentMemory(): number {
  const young = getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');
  return process.memoryUsage.rss() - (young?.physical_space_size ?? 0);
}

const [kind, redisUrl, prefix] = process.argv.slice(2);
const started =
  kind === 'socketio' ? await startSocketIo() : await startComet(kind === 'comet-redis' ? redisUrl : undefined, prefix);
process.on('message', (msg: unknown) => {
  if (msg === 'heap') {
    fullGc();
    process.send!({ heap: process.memoryUsage().heapUsed });
  }
  if (msg === 'rss') {
    fullGc();
    process.send!({ rss: residentMemory() });
  }
  const snapshot = (msg as { snapshot?: unknown } | null)?.snapshot;
  if (typeof snapshot === 'string') {
    fullGc();
    writeHeapSnapshot(snapshot);
    process.send!({ snapshot });
  }
  if (msg === 'loop') {
    const { idle, active } = performance.eventLoopUtilization();
    process.send!({ loop: { idle, active } });
  }
  if (msg === 'cpu') {
    const { user, system } = process.cpuUsage();
    process.send!({ cpu: user + system });
  }
  if (msg === 'close') void started.close().then(() => process.exit(0));
});
process.on('disconnect', () => process.exit(0));
process.send!({ ready: true, url: started.url });
