/**
 * `comet-chat-server`: flags and environment variables → createCometServer, a start-up banner,
 * and a graceful stop on SIGINT / SIGTERM. Bad usage exits with status 2.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { describeIssues } from '../protocol/schemas.js';
import { appConfigSchema } from './config.js';
import { DEFAULT_APP_ID } from './core/apps.js';
import {
  createCometServer,
  DEFAULT_COMETQL_PORT,
  DEFAULT_DATA_DIR,
  DEFAULT_HOST,
  DEFAULT_PORT,
  WEBHOOK_FLUSH_MS,
  type CometServerOptions,
  type SecretPlace,
} from './index.js';

/** On SIGTERM, how long clients get to move to another node (`--drain-ms`). */
export const DEFAULT_DRAIN_MS = 10_000;
/** Closing the store and Redis after the drain and the webhook flush: past this, the process exits anyway. */
const STOP_MARGIN_MS = 5000;

export const USAGE = `Usage: comet-chat-server [options]

Options (each also an environment variable):
  --port N            HTTP + Socket.IO port (COMET_PORT, default ${DEFAULT_PORT}; 0 = random)
  --host ADDR         address to listen on (COMET_HOST, default ${DEFAULT_HOST})
  --data DIR          SQLite data directory (COMET_DATA, default ./${DEFAULT_DATA_DIR})
  --memory            keep everything in memory, nothing on disk (COMET_MEMORY=1)
  --config FILE       JSON config file: apps, limits… (COMET_CONFIG)
  --cometql-port N    CometQL (MySQL protocol) port (COMET_COMETQL_PORT, default ${DEFAULT_COMETQL_PORT})
  --no-cometql        do not start CometQL (COMET_COMETQL_PORT=off)
  --redis URL         scale out over Redis (COMET_REDIS_URL; prefer it when the URL holds a password)
  --redis-prefix P    namespace of this cluster's Redis keys (COMET_REDIS_PREFIX, default comet)
  --drain-ms N        on SIGTERM, how long clients get to move to another node
                      (COMET_DRAIN_MS, default ${DEFAULT_DRAIN_MS}; 0 = drop them at once)
  --demo              serve the demo site at / (COMET_DEMO=1)
  --help              show this help

Environment only (secrets do not belong on a command line):
  COMET_APPS          JSON array of apps, as "apps" in the config file: [{"id":"shop","secret":"…"}]

Docs: docs/configuration.md`;

/** Wrong flags or values: reported with the usage hint, exit status 2. */
export class UsageError extends Error {}

export type CliCommand = { help: true } | { help: false; options: CometServerOptions };

/** Reads flags (which win) and environment variables into server options. Throws UsageError. */
export function parseCli(argv: string[], env: NodeJS.ProcessEnv = {}): CliCommand {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        data: { type: 'string' },
        memory: { type: 'boolean' },
        config: { type: 'string' },
        'cometql-port': { type: 'string' },
        'no-cometql': { type: 'boolean' },
        redis: { type: 'string' },
        'redis-prefix': { type: 'string' },
        'drain-ms': { type: 'string' },
        demo: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return { help: true };

  const options: CometServerOptions = {};
  const port = values.port ?? env.COMET_PORT;
  if (port !== undefined) options.port = portNumber(port, values.port !== undefined ? '--port' : 'COMET_PORT');
  const host = values.host ?? env.COMET_HOST;
  if (host !== undefined) options.host = nonEmpty(host, '--host');
  const memory = values.memory ?? flag(env.COMET_MEMORY);
  const data = values.data ?? env.COMET_DATA;
  if (memory && data !== undefined) throw new UsageError('--memory and --data exclude each other');
  if (memory) options.memory = true;
  if (data !== undefined) options.dataDir = nonEmpty(data, '--data');
  const config = values.config ?? env.COMET_CONFIG;
  if (config !== undefined) options.configFile = nonEmpty(config, '--config');

  if (values['no-cometql'] && values['cometql-port'] !== undefined) {
    throw new UsageError('--cometql-port and --no-cometql exclude each other');
  }
  if (values['no-cometql']) options.cometqlPort = false;
  else {
    const cq = values['cometql-port'] ?? env.COMET_COMETQL_PORT;
    if (cq !== undefined) {
      options.cometqlPort =
        cq === 'off'
          ? false
          : portNumber(cq, values['cometql-port'] !== undefined ? '--cometql-port' : 'COMET_COMETQL_PORT');
    }
  }
  const redis = values.redis ?? env.COMET_REDIS_URL;
  if (redis !== undefined) options.redisUrl = nonEmpty(redis, '--redis');
  const prefix = values['redis-prefix'] ?? env.COMET_REDIS_PREFIX;
  if (prefix !== undefined) options.redisPrefix = redisPrefix(prefix);
  const drain = values['drain-ms'] ?? env.COMET_DRAIN_MS;
  options.drainMs =
    drain === undefined
      ? DEFAULT_DRAIN_MS
      : milliseconds(drain, values['drain-ms'] !== undefined ? '--drain-ms' : 'COMET_DRAIN_MS');
  if (values.demo ?? flag(env.COMET_DEMO)) options.demo = true;
  if (env.COMET_APPS !== undefined) options.apps = appsFromEnv(env.COMET_APPS);
  return { help: false, options };
}

const appsSchema = z.array(appConfigSchema);

/** COMET_APPS through the config file's app schema; the message never repeats the value (it holds secrets). */
function appsFromEnv(text: string): NonNullable<CometServerOptions['apps']> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new UsageError('COMET_APPS must be a JSON array of apps');
  }
  const parsed = appsSchema.safeParse(raw);
  if (!parsed.success) {
    throw new UsageError(`COMET_APPS: ${describeIssues(parsed.error, '(root)')}`);
  }
  return parsed.data;
}

function portNumber(text: string, name: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65535) throw new UsageError(`${name} must be a port number 0-65535, not "${text}"`);
  return n;
}

/** At most 10 minutes: a drain longer than that is a stuck shutdown. */
function milliseconds(text: string, name: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 600_000)
    throw new UsageError(`${name} must be a number of milliseconds 0-600000, not "${text}"`);
  return n;
}

function redisPrefix(text: string): string {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(text))
    throw new UsageError('--redis-prefix must be 1-64 characters of [A-Za-z0-9_.-]');
  return text;
}

function nonEmpty(text: string, name: string): string {
  if (text.trim() === '') throw new UsageError(`${name} needs a value`);
  return text;
}

function flag(value: string | undefined): boolean {
  return value !== undefined && ['1', 'true', 'yes', 'on'].includes(value.toLowerCase());
}

/** Runs the server until SIGINT / SIGTERM. Returns the exit status for usage errors and failed starts. */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number | undefined> {
  let command: CliCommand;
  try {
    command = parseCli(argv, env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`comet-chat-server: ${err.message}\nTry --help.`);
    return 2;
  }
  if (command.help) {
    console.log(USAGE);
    return 0;
  }
  let server;
  try {
    server = await createCometServer(command.options);
  } catch (err) {
    console.error(`comet-chat-server: could not start: ${(err as Error).message}`);
    return 1;
  }
  // Handlers first: whoever reads the banner may signal at once.
  let stopping = false;
  const drainMs = command.options.drainMs ?? 0;
  const stop = (signal: string): void => {
    if (stopping) {
      // A second signal while closing: stop waiting.
      process.exit(1);
    }
    stopping = true;
    const started = Date.now();
    console.log(`${signal}: shutting down${drainMs > 0 ? `; clients move to other nodes within ${drainMs} ms` : ''}`);
    // However the drain, the webhook flush or the store behave, the process ends within this bound.
    const bound = drainMs + (drainMs > 0 ? WEBHOOK_FLUSH_MS : 0) + STOP_MARGIN_MS;
    setTimeout(() => {
      console.error(`comet-chat-server: not stopped after ${bound} ms; exiting`);
      process.exit(1);
    }, bound).unref();
    server.close().then(
      () => {
        console.log(`stopped in ${Date.now() - started} ms`);
        process.exit(0);
      },
      (err: unknown) => {
        console.error('comet-chat-server: shutdown failed', err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  console.log(`comet-chat server listening on ${server.url}`);
  console.log(`  dev id: 1 (the default app; any origin may connect)`);
  console.log(`  app 1 secret: ${whereIs(server.app1SecretPlace, command.options)}`);
  if (server.cometqlPort !== undefined) console.log(`  CometQL (MySQL protocol): ${server.host}:${server.cometqlPort}`);
  if (command.options.demo) console.log(`  demo: ${server.url}/`);

  return undefined;
}

/** Where the banner sends the reader for app 1's secret; the secret itself is never printed (logs are kept and shared). */
function whereIs(place: SecretPlace, options: CometServerOptions): string {
  switch (place.kind) {
    case 'file':
      return `in ${place.path}`;
    case 'configured':
      return options.apps?.some((a) => a.id === DEFAULT_APP_ID && a.secret !== undefined)
        ? 'as set in COMET_APPS'
        : 'as set in the config file';
    case 'redis':
      return `kept in Redis, shared by every node; read it with: redis-cli -u <your Redis URL> GET '${place.key}'`;
    case 'generated':
      return 'generated for this run, not shown (memory mode); to call the backend API, set one for app "1" in COMET_APPS or the config file';
  }
}
