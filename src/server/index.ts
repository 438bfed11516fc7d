/**
 * The composition root: builds the store, the core and the fronts (Socket.IO, HTTP, CometQL)
 * from options, a config file and defaults, and starts them on one HTTP port (+ the CometQL port).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Server as SocketServer } from 'socket.io';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../protocol/limits.js';
import { readConfigFile, type AppConfig } from './config.js';
import { AppRegistry, DEFAULT_APP_ID, generateSecret, type App } from './core/apps.js';
import { Core } from './core/core.js';
import { resolveLimits, resolveQuota, type Limits, type LimitsOverride } from './core/limits.js';
import { WebhookDispatcher } from './core/webhook.js';
import { startCometQL, type CometQLServer } from './fronts/cometql/index.js';
import { createHttpFront, type HttpFrontDeps } from './fronts/http/index.js';
import { packageRoot } from './fronts/http/static.js';
import { DEFAULT_TRUSTED_PROXIES } from './fronts/address.js';
import { LoginFailures } from './fronts/login-failures.js';
import { defaultNodeSockets, NodeSockets, socketCap } from './fronts/socket-cap.js';
import { attachSocketFront } from './fronts/socket/index.js';
import { answerUpgradesWithoutCorsPackage } from './fronts/socket/upgrade-cors.js';
import type { CometIo } from './fronts/socket/types.js';
import { urlForLog } from './log-safe.js';
import { Metrics } from './metrics.js';
import { MemoryStore } from './store/memory.js';
import { createRedisParts, type RedisParts } from './store/redis-parts.js';
import { SqliteStore } from './store/sqlite.js';
import type { Store } from './store/types.js';

export { Core } from './core/core.js';
export type { BackendApi } from './core/api.js';
export {
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  signWebhook,
  verifyWebhook,
  type WebhookRequestParts,
} from './core/webhook-signature.js';

export const DEFAULT_PORT = 8080;
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_COMETQL_PORT = 3307;
export const DEFAULT_DATA_DIR = '.data';
/** How long a draining node goes on delivering pending webhooks before it drops them. */
export const WEBHOOK_FLUSH_MS = 5000;
/** After the drain, the least time requests and cleanups under way get to finish before the adapter closes. */
const IDLE_WAIT_MS = 1000;

export interface CometServerOptions {
  /** Default 8080; 0 = a random free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Where the SQLite file and app 1's secret live; default ./.data. */
  dataDir?: string;
  /** Keep everything in memory (nothing survives a restart). */
  memory?: boolean;
  /** A JSON config file (docs/configuration.md); these options win over it. */
  configFile?: string;
  /** Apps besides (or overriding settings of) app 1. */
  apps?: AppConfig[];
  /** Scale-out: the Redis store + Socket.IO's Redis adapter. */
  redisUrl?: string;
  /** Namespace of this cluster's Redis keys and channels; default `comet`. */
  redisPrefix?: string;
  /** Default 3307; false = off; 0 = random. */
  cometqlPort?: number | false;
  webHistoryLength?: number;
  maxMessageBytes?: number;
  /** The limit model: any part of it (docs/security.md); the rest keeps its defaults. */
  limits?: LimitsOverride;
  /** Proxies whose X-Forwarded-For names the client address; default loopback. */
  trustedProxies?: string[];
  /** Peers that may read /metrics; default loopback. */
  metricsFrom?: string[];
  /** The core's clock (ms since the epoch); tests pass one they move. */
  clock?: () => number;
  /** Serve demo/ at `/` with its demo backend routes. */
  demo?: boolean;
  /** Where the HTTP front finds the browser bundles and the demo pages. */
  staticDirs?: HttpFrontDeps['staticRoots'];
  /** How long a publish waits for receipts or other nodes' counts; default 3000 ms. */
  ackTimeoutMs?: number;
  /** How long a busy pipe's messages wait to leave together, to clients that take batches (0: never); default 20 ms. */
  coalesceMs?: number;
  /**
   * Graceful shutdown: how long close() gives clients to move to another node (they spread their
   * reconnects over the first half) before closing the rest, then up to WEBHOOK_FLUSH_MS to deliver
   * pending webhooks. Default 0: close() drops clients and pending webhooks at once.
   */
  drainMs?: number;
  /** Where the server reports faults; default console. Tests pass a quiet one. */
  logger?: Logger;
}

export interface Logger {
  info(message: string): void;
  error(message: string, err?: unknown): void;
}

export interface CometServer {
  /** `http://host:port` of the HTTP + Socket.IO endpoint. */
  url: string;
  port: number;
  host: string;
  cometqlPort?: number;
  core: Core;
  metrics: Metrics;
  /** The Socket.IO server, for embedders that add their own middleware. */
  io: CometIo;
  /** App 1's secret (the backend password of the demo app). */
  app1Secret: string;
  /** The file holding app 1's secret; absent in memory and Redis mode. */
  app1SecretFile?: string;
  /** Where app 1's secret can be read, for a banner that must not print the secret itself. */
  app1SecretPlace: SecretPlace;
  /** Where state is kept. */
  storage: 'sqlite' | 'memory' | 'redis';
  /** Stops (draining first when `drainMs` is set): see CometServerOptions.drainMs. */
  close(): Promise<void>;
}

/**
 * Where a secret is kept: a file, the configuration (config file, COMET_APPS or code), a Redis key,
 * or nowhere (memory mode: generated for this run).
 */
export type SecretPlace =
  { kind: 'file'; path: string } | { kind: 'configured' } | { kind: 'redis'; key: string } | { kind: 'generated' };

const consoleLogger: Logger = {
  info: (message) => console.log(message),
  error: (message, err) => console.error(message, err ?? ''),
};

export async function createCometServer(options: CometServerOptions = {}): Promise<CometServer> {
  const file = options.configFile ? readConfigFile(options.configFile) : {};
  const o = { ...file, ...definedOnly(options), apps: mergeApps(file.apps ?? [], options.apps ?? []) };
  const log = options.logger ?? consoleLogger;
  const host = o.host ?? DEFAULT_HOST;
  const memory = o.memory === true && !o.redisUrl;

  let redis: RedisParts | undefined;
  let store: Store;
  let dataDir: string | undefined;
  if (o.redisUrl) {
    redis = await createRedisParts(o.redisUrl, o.redisPrefix ?? 'comet', {
      onError: (err) => log.error(`[redis] ${err.message}`),
    });
    store = redis.store;
  } else if (memory) {
    store = new MemoryStore();
  } else {
    dataDir = resolve(o.dataDir ?? DEFAULT_DATA_DIR);
    mkdirSync(dataDir, { recursive: true });
    store = new SqliteStore(join(dataDir, 'comet.db'));
  }

  try {
    const limits = resolveLimits(o.limits);
    const { apps, app1SecretFile } = await loadApps(store, o.apps, dataDir, limits);
    const registry = new AppRegistry(apps);
    // One answer to "can this node serve?": the store's command connection, and in a cluster its subscriber too.
    const available = redis ? () => redis.available() : () => store.available();

    const metrics = new Metrics();
    const webhooks = new WebhookDispatcher((id) => registry.get(id), metrics, {
      ...(o.clock ? { clock: o.clock } : {}),
      onGiveUp: (appId, url, reason) => log.info(`webhook of app ${appId} gave up on ${urlForLog(url)}: ${reason}`),
    });
    const core = new Core({
      store,
      apps: registry,
      metrics,
      webhooks,
      ...(o.webHistoryLength === undefined ? {} : { webHistoryLength: o.webHistoryLength }),
      ...(o.maxMessageBytes === undefined ? {} : { maxMessageBytes: o.maxMessageBytes }),
      limits,
      available,
      ...(o.clock ? { clock: o.clock } : {}),
    });
    for (const app of o.apps) if (app.webhook) await core.setWebhook(app.id, app.webhook);
    const app1Secret = registry.get(DEFAULT_APP_ID)!.secret;
    const app1SecretPlace: SecretPlace = app1SecretFile
      ? { kind: 'file', path: app1SecretFile }
      : o.apps.some((a) => a.id === DEFAULT_APP_ID && a.secret !== undefined)
        ? { kind: 'configured' }
        : redis
          ? { kind: 'redis', key: redis.store.secretKey(DEFAULT_APP_ID) }
          : { kind: 'generated' };

    let ready = false;
    const logins = new LoginFailures(limits.loginFailures, metrics, (line) => log.info(`[auth] ${line}`));
    const httpHandler = createHttpFront({
      logins,
      ...(o.trustedProxies ? { trustedProxies: o.trustedProxies } : {}),
      core,
      metrics,
      isReady: () => ready,
      storeAvailable: available,
      ...(o.metricsFrom ? { metricsFrom: o.metricsFrom } : {}),
      demo: o.demo === true,
      ...(o.staticDirs ? { staticRoots: o.staticDirs } : {}),
      ...(o.demo ? { extraRoutes: await loadDemoBackend(app1Secret) } : {}),
      log: (message, err) => log.error(`[http] ${message}`, err),
    });
    const httpServer = createServer(httpHandler);
    // A request's headers within 10 s and the whole request within 30 s (bodies are at most a few MB).
    httpServer.headersTimeout = 10_000;
    httpServer.requestTimeout = 30_000;
    // Requests pipelined on one socket are each answered (a file opened) before the client reads: bound them.
    httpServer.maxRequestsPerSocket = 100;
    const socketCapOptions = {
      perAddress: limits.socketsPerAddress,
      exempt: o.trustedProxies ?? DEFAULT_TRUSTED_PROXIES,
      metrics,
      node: new NodeSockets(limits.socketsPerNode ?? defaultNodeSockets()),
    };
    const admitSocket = socketCap(socketCapOptions);
    httpServer.on('connection', admitSocket);
    const maxMessageBytes = o.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    const io: CometIo = new SocketServer(httpServer, {
      // Room for the JSON envelope and escaping; the core enforces the real limit on `data`.
      maxHttpBufferSize: Math.max(1_000_000, maxMessageBytes * 4),
      // Which pages may connect is decided per app (its origins) when the connection is opened.
      cors: { origin: true },
      serveClient: false,
    });
    answerUpgradesWithoutCorsPackage(io);
    if (redis) io.adapter(redis.adapterFactory);
    const socketFront = attachSocketFront(io, core, metrics, {
      clustered: redis !== undefined,
      available,
      ...(o.trustedProxies ? { trustedProxies: o.trustedProxies } : {}),
      ...(o.ackTimeoutMs === undefined ? {} : { ackTimeoutMs: o.ackTimeoutMs }),
      ...(o.coalesceMs === undefined ? {} : { coalesceMs: o.coalesceMs }),
      log: (message, err) => log.error(`[socket] ${message}`, err),
    });

    const port = await listen(httpServer, o.port ?? DEFAULT_PORT, host).catch(async (err: unknown) => {
      await closeIo(io, httpServer);
      throw err;
    });
    let cometql: CometQLServer | undefined;
    const cometqlPort = o.cometqlPort ?? DEFAULT_COMETQL_PORT;
    if (cometqlPort !== false) {
      try {
        cometql = await startCometQL(core, {
          port: cometqlPort,
          host,
          socketCap: socketCapOptions,
          logins,
          logger: { info: (m) => log.info(`[cometql] ${m}`), warn: (m) => log.info(`[cometql] ${m}`) },
        });
      } catch (err) {
        await closeIo(io, httpServer);
        throw err;
      }
    }
    ready = true;

    let closing: Promise<void> | undefined;
    const drainMs = o.drainMs ?? 0;
    const close = (): Promise<void> => {
      closing ??= (async () => {
        ready = false;
        await cometql?.close();
        if (drainMs > 0) {
          const deadline = Date.now() + drainMs;
          // Take no new connections (a balancer sends them to the other nodes), then ask clients to move.
          const httpClosed = new Promise<void>((done) => httpServer.close(() => done()));
          const left = await socketFront.drain(drainMs / 2, drainMs);
          if (left > 0) log.info(`shutdown: ${left} client(s) still connected after ${drainMs} ms; closing them`);
          // Backends' API calls under way get their answers too (idle keep-alive connections closed at once).
          await settledWithin(httpClosed, deadline - Date.now());
          // The leavers' cleanups (track notices count deliveries on every node) finish while the adapter is up.
          await settledWithin(socketFront.idle(), Math.max(IDLE_WAIT_MS, deadline - Date.now()));
        }
        await closeIo(io, httpServer);
        await socketFront.settle();
        const dropped = await webhooks.flush(drainMs > 0 ? WEBHOOK_FLUSH_MS : 0);
        if (dropped > 0 && drainMs > 0) log.info(`shutdown: ${dropped} webhook message(s) not delivered in time`);
        await store.close();
        await redis?.close();
      })();
      return closing;
    };

    return {
      url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
      port,
      host,
      ...(cometql ? { cometqlPort: cometql.port } : {}),
      core,
      metrics,
      io,
      app1Secret,
      ...(app1SecretFile ? { app1SecretFile } : {}),
      app1SecretPlace,
      storage: redis ? 'redis' : memory ? 'memory' : 'sqlite',
      close,
    };
  } catch (err) {
    await store.close().catch(() => undefined);
    await redis?.close().catch(() => undefined);
    throw err;
  }
}

/** Apps from the file, then from code: a later entry for the same id replaces the earlier one. */
function mergeApps(fromFile: AppConfig[], fromCode: AppConfig[]): AppConfig[] {
  const byId = new Map<string, AppConfig>();
  for (const app of [...fromFile, ...fromCode]) byId.set(app.id, app);
  return [...byId.values()];
}

/**
 * Resolves every app's secret. App 1: the configured one, else DATA/app-1.secret (created on first
 * start), else a random one (memory). Other apps without a configured secret get one generated once
 * and kept in the store. Across a cluster the store decides, so every node agrees.
 */
async function loadApps(
  store: Store,
  configured: AppConfig[],
  dataDir: string | undefined,
  limits: Limits,
): Promise<{ apps: App[]; app1SecretFile?: string }> {
  const list = configured.some((a) => a.id === DEFAULT_APP_ID) ? configured : [{ id: DEFAULT_APP_ID }, ...configured];
  const apps: App[] = [];
  let app1SecretFile: string | undefined;
  for (const conf of list) {
    let secret = conf.secret;
    if (secret === undefined) {
      let candidate = generateSecret();
      const file = conf.id === DEFAULT_APP_ID && dataDir ? join(dataDir, 'app-1.secret') : undefined;
      if (file && existsSync(file)) candidate = readFileSync(file, 'utf8').trim() || candidate;
      secret = await store.ensureAppSecret(conf.id, candidate);
      if (file) {
        if (!existsSync(file) || readFileSync(file, 'utf8').trim() !== secret)
          writeFileSync(file, `${secret}\n`, { mode: 0o600 });
        app1SecretFile = file;
      }
    }
    apps.push({
      id: conf.id,
      secret,
      origins: conf.origins === undefined || conf.origins === '*' ? '*' : conf.origins.map(originOf),
      receipts: conf.receipts ?? false,
      allowPrivateWebhooks: conf.allowPrivateWebhooks ?? false,
      quota: resolveQuota(limits, conf.quota),
      ...(conf.editWindowSeconds === undefined ? {} : { editWindowSeconds: conf.editWindowSeconds }),
      ...(conf.deleteMode === undefined ? {} : { deleteMode: conf.deleteMode }),
      ...(conf.reactions === undefined ? {} : { reactions: conf.reactions }),
    });
  }
  return app1SecretFile ? { apps, app1SecretFile } : { apps };
}

/** What a browser sends as Origin for a configured URL (`https://shop.example/` → `https://shop.example`). */
function originOf(url: string): string {
  return URL.canParse(url) ? new URL(url).origin : url;
}

type DemoRoutes = NonNullable<HttpFrontDeps['extraRoutes']>;

/** The demo site's backend (demo/backend), mounted only with `demo`. */
async function loadDemoBackend(secret: string): Promise<DemoRoutes> {
  const url = pathToFileURL(join(packageRoot(), 'demo', 'backend', 'index.js')).href;
  const mod = (await import(url)) as { createDemoBackend(o: { secret: string }): DemoRoutes };
  return mod.createDemoBackend({ secret });
}

function listen(server: HttpServer, port: number, host: string): Promise<number> {
  return new Promise((resolvePort, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      resolvePort(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
}

/** Disconnects every client and stops the HTTP server, idle keep-alive connections included. */
function closeIo(io: CometIo, httpServer: HttpServer): Promise<void> {
  return new Promise((done) => {
    void io.close(() => done());
    httpServer.closeAllConnections();
  });
}

/** Waits for `promise`, but no longer than `ms`. */
async function settledWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise((done) => (timer = setTimeout(done, Math.max(0, ms))))]);
  clearTimeout(timer);
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
