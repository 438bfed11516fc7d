/** Starting one server under test (bench/server-process.ts) in a child process, and asking it for its figures. */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** `socketio`: bare Socket.IO (the baseline); `comet`: our server in memory; `comet-redis`: on the Redis store and adapter. */
export type ServerKind = 'socketio' | 'comet' | 'comet-redis';

export interface ServerChild {
  url: string;
  /** Heap in use after a full GC, bytes. */
  heap(): Promise<number>;
  /** Resident set size after a full GC, less the young generation (empty then), bytes. */
  rss(): Promise<number>;
  /** CPU time (user + system) the server process has used so far, µs. */
  cpu(): Promise<number>;
  /** Time the event loop was busy and idle so far, ms: how close the serving thread is to its limit. */
  loop(): Promise<{ active: number; idle: number }>;
  /** Writes a heap snapshot (after a full GC) to `path`. */
  snapshot(path: string): Promise<void>;
  close(): Promise<void>;
}

export interface ServerOptions {
  /** comet-redis only. */
  redisUrl?: string;
  redisPrefix?: string;
  /** Writes a .cpuprofile of the process there. */
  cpuProfDir?: string;
}

export async function startServer(kind: ServerKind, options: ServerOptions = {}): Promise<ServerChild> {
  const entry = fileURLToPath(new URL('./server-process.ts', import.meta.url));
  const args = kind === 'comet-redis' ? [kind, options.redisUrl!, options.redisPrefix!] : [kind];
  const profile = options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : [];
  const child: ChildProcess = fork(entry, args, {
    execArgv: ['--expose-gc', '--import', 'tsx', ...profile],
    stdio: 'inherit',
  });
  const next = <T>(pick: (msg: Record<string, unknown>) => T | undefined): Promise<T> =>
    new Promise((resolve, reject) => {
      const onMessage = (msg: Record<string, unknown>) => {
        const value = pick(msg);
        if (value === undefined) return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(value);
      };
      const onExit = (code: number | null) => reject(new Error(`${kind} server exited (${code})`));
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  const ask = <T>(request: unknown, pick: (msg: Record<string, unknown>) => T | undefined): Promise<T> => {
    const reply = next(pick);
    child.send(request as never);
    return reply;
  };
  const url = await next((m) => (m.ready ? String(m.url) : undefined));
  return {
    url,
    heap: () => ask('heap', (m) => (typeof m.heap === 'number' ? m.heap : undefined)),
    rss: () => ask('rss', (m) => (typeof m.rss === 'number' ? m.rss : undefined)),
    cpu: () => ask('cpu', (m) => (typeof m.cpu === 'number' ? m.cpu : undefined)),
    loop: () => ask('loop', (m) => m.loop as { active: number; idle: number } | undefined),
    snapshot: (path) =>
      ask({ snapshot: path }, (m) => (m.snapshot === path ? (true as const) : undefined)).then(() => undefined),
    close() {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.send('close');
      return exited;
    },
  };
}
