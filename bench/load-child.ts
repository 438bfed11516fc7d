/**
 * One process of the many-connections load generator (bench/connections.ts forks several, each
 * holding fewer connections than a process's open-file limit).
 *
 *   node --import tsx bench/load-child.ts
 *
 * Over IPC: `{ open: OpenOrder }` opens that many light clients (bench/light-client.ts), at most
 * `inFlight` handshakes at a time, from its own loopback source address, and answers
 * `{ opened, failed, cpu, rss, error? }` (cpu: µs this process spent opening them; rss: bytes its
 * resident set grew by); `counts` answers `{ received, frames, exactlyOnce, lastArrival }` (messages
 * and event frames received so far, clients that received exactly one, wall-clock ms of the last arrival);
 * `latencies` answers `{ latencies }` (publish → arrival, ms, of each message whose payload has a
 * `sentAt`, since the last time asked); `close` closes every connection and exits, as does losing the parent.
 */
import { performance } from 'node:perf_hooks';
import { openLightClient, type LightClient } from './light-client.js';
import type { Dialect } from './protocol.js';

export interface OpenOrder {
  url: string;
  /** Ask our server for batches. */
  batch?: boolean;
  count: number;
  dialect: Dialect;
  app?: string;
  localAddress: string;
  inFlight: number;
}

const sockets: LightClient[] = [];
let perClient = new Uint32Array(0);
let received = 0;
/** Event frames (`message` or `batch`) received. */
let frames = 0;
let lastArrival = 0;
/** Publish → arrival of every message with a `sentAt` (wall-clock ms), while recording. */
let latencies: number[] = [];

async function open(order: OpenOrder): Promise<void> {
  const cpuBefore = process.cpuUsage();
  const rssBefore = process.memoryUsage.rss();
  perClient = new Uint32Array(order.count);
  let next = 0;
  let failed = 0;
  let error: string | undefined;
  const worker = async (): Promise<void> => {
    while (next < order.count) {
      const index = next++;
      try {
        const client = await openLightClient({
          url: order.url,
          dialect: order.dialect,
          app: order.app,
          localAddress: order.localAddress,
          batch: order.batch,
          onFrame: () => (frames += 1),
          onMessage: (payload) => {
            perClient[index] += 1;
            received += 1;
            lastArrival = performance.timeOrigin + performance.now();
            const sentAt = (payload as { sentAt?: unknown } | null)?.sentAt;
            if (typeof sentAt === 'number') latencies.push(lastArrival - sentAt);
          },
        });
        sockets.push(client);
      } catch (err) {
        failed += 1;
        error ??= String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: order.inFlight }, worker));
  const { user, system } = process.cpuUsage(cpuBefore);
  process.send!({
    opened: sockets.length,
    failed,
    cpu: user + system,
    rss: process.memoryUsage.rss() - rssBefore,
    ...(error === undefined ? {} : { error }),
  });
}

process.on('message', (msg: unknown) => {
  const order = (msg as { open?: OpenOrder } | null)?.open;
  if (order) void open(order);
  if (msg === 'counts')
    process.send!({ received, frames, exactlyOnce: perClient.filter((n) => n === 1).length, lastArrival });
  if (msg === 'latencies') {
    process.send!({ latencies });
    latencies = [];
  }
  if (msg === 'close') {
    for (const client of sockets) client.terminate();
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
process.send!({ ready: true });
