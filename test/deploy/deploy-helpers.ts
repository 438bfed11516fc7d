/**
 * The production set-up of docs/deploy.md, on loopback: a self-signed certificate made with openssl,
 * Debian's nginx running deploy/nginx/comet-chat.conf in a prefix of its own (unprivileged, on a free
 * port, nothing under /etc/nginx or /var/log/nginx), and comet-chat-server nodes as child processes of
 * the built CLI, over the local Redis under a random prefix.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before } from 'node:test';
import { promisify } from 'node:util';
import type { Browser, BrowserContext } from 'playwright-core';
import { freePort } from '../client/helpers.js';
import { nodesSubscribed } from '../cluster/cluster-helpers.js';
import { deleteKeysUnder, randomPrefix, REDIS_URL } from '../cluster/redis-keys.js';
import { launchBrowser } from '../e2e/harness.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'packages', 'comet-chat-server', 'bin', 'comet-chat-server.js');
const SITE = join(ROOT, 'deploy', 'nginx', 'comet-chat.conf');
/** App 1's backend secret, given to every node (the banner never prints one). */
export const SECRET = 'deploy-test-secret-0123456789';

export const NGINX =
  [process.env.NGINX_PATH, '/usr/sbin/nginx', '/usr/local/sbin/nginx'].find((p): p is string => !!p && existsSync(p)) ??
  'nginx';

/* ---- TLS ---- */

export interface Tls {
  certFile: string;
  keyFile: string;
  /** The certificate (PEM): the only one Node-side clients here trust. */
  cert: string;
}

/** A fresh self-signed certificate for 127.0.0.1 and localhost, valid for a day. */
export async function makeCertificate(dir: string): Promise<Tls> {
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-keyout',
    keyFile,
    '-out',
    certFile,
  ]);
  return { certFile, keyFile, cert: readFileSync(certFile, 'utf8') };
}

export interface HttpsOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Another loopback source address (127.0.0.2…), as a host that is not the monitoring one. */
  localAddress?: string;
}

/** A request over HTTPS trusting only `ca` (Node's fetch takes no CA of its own). */
export function httpsFetch(
  url: string,
  ca: string,
  { body, ...options }: HttpsOptions = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((done, fail) => {
    const req = httpsRequest(url, { ca, ...options, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', fail);
    req.end(body);
  });
}

/* ---- nodes ---- */

export interface NodeProcess {
  name: string;
  port: number;
  /** `http://127.0.0.1:port`: the node itself, as the backend and Prometheus reach it. */
  url: string;
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** One node: the published package's command, --redis under `prefix`, --demo (the pages the browsers open). */
export async function startNode(
  name: string,
  prefix: string,
  options: { port?: number; drainMs?: number } = {},
): Promise<NodeProcess> {
  assert.ok(
    existsSync(join(ROOT, 'packages', 'comet-chat-server', 'lib', 'server', 'cli.js')),
    'run npm run build first',
  );
  const child = spawn(
    process.execPath,
    [
      BIN,
      '--host',
      '127.0.0.1',
      '--port',
      String(options.port ?? 0),
      '--no-cometql',
      '--demo',
      '--redis',
      REDIS_URL,
      '--redis-prefix',
      prefix,
      '--drain-ms',
      String(options.drainMs ?? 3000),
    ],
    {
      env: { ...process.env, COMET_APPS: JSON.stringify([{ id: '1', secret: SECRET }]) },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('exit', (code, signal) => done({ code, signal })),
  );
  const url = await new Promise<string>((done, fail) => {
    const look = (): void => {
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) done(m[1]);
    };
    child.stdout.on('data', look);
    void exited.then(({ code, signal }) =>
      fail(new Error(`node ${name} exited (${code ?? signal}) before listening:\n${out}`)),
    );
  });
  return { name, port: Number(new URL(url).port), url, child, output: () => out, exited };
}

/** Open connections on one node, from its own /metrics (not through nginx). */
export async function connectionsOn(node: NodeProcess): Promise<number> {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  return Number(/^comet_connections (\d+)$/m.exec(text)?.[1]);
}

/* ---- nginx ---- */

export interface Proxy {
  /** `https://127.0.0.1:port` */
  url: string;
  port: number;
  errorLog(): string;
  accessLog(): string;
  stop(): Promise<void>;
}

/** deploy/nginx/comet-chat.conf with this run's port, certificate and nodes; every replaced text must be there. */
export function siteConfig(port: number, tls: Tls, nodePorts: [number, number]): string {
  let text = readFileSync(SITE, 'utf8');
  const swap = (from: string, to: string): void => {
    assert.ok(text.includes(from), `${SITE} no longer has "${from}": update test/deploy`);
    text = text.replaceAll(from, to);
  };
  swap('listen 443 ssl http2;', `listen 127.0.0.1:${port} ssl http2;`);
  swap('/etc/ssl/comet-chat/fullchain.pem', tls.certFile);
  swap('/etc/ssl/comet-chat/privkey.pem', tls.keyFile);
  swap('127.0.0.1:8081', `127.0.0.1:${nodePorts[0]}`);
  swap('127.0.0.1:8082', `127.0.0.1:${nodePorts[1]}`);
  return text;
}

/** Resolves once something accepts connections on the port, or rejects when `gone` settles first. */
async function listening(port: number, gone: Promise<unknown>): Promise<void> {
  let over = false;
  void gone.then(() => (over = true));
  for (let i = 0; i < 200 && !over; i++) {
    const up = await new Promise<boolean>((done) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), done(true)));
      s.once('error', () => done(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nginx is not listening on ${port}`);
}

/**
 * nginx in the foreground (`daemon off`), prefix `dir`: its pid, logs and temp files stay there.
 * Run as root it would hand its workers to `nobody`, a user Debian gives no group of that name:
 * then the workers run as the invoking user instead.
 */
export async function startNginx(dir: string, tls: Tls, nodePorts: [number, number]): Promise<Proxy> {
  mkdirSync(join(dir, 'temp'), { recursive: true });
  // Workers (another user when run as root) must reach the temp folders; the key stays 0600.
  chmodSync(dir, 0o755);
  const errorLog = join(dir, 'error.log');
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    writeFileSync(join(dir, 'comet-chat.conf'), siteConfig(port, tls, nodePorts));
    writeFileSync(
      join(dir, 'nginx.conf'),
      [
        ...(process.getuid?.() === 0 ? [`user ${userInfo().username};`] : []),
        'daemon off;',
        'worker_processes 2;',
        `pid ${dir}/nginx.pid;`,
        `error_log ${errorLog} notice;`,
        'events { worker_connections 512; }',
        'http {',
        // Which node answered each request: the last address of $upstream_addr.
        `  log_format comet '$status "$request" upstream=$upstream_addr';`,
        `  access_log ${dir}/access.log comet;`,
        ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${dir}/temp/${t};`),
        `  include ${dir}/comet-chat.conf;`,
        '}',
        '',
      ].join('\n'),
    );
    const child = spawn(NGINX, ['-p', `${dir}/`, '-c', join(dir, 'nginx.conf'), '-e', errorLog], { stdio: 'ignore' });
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    try {
      await listening(port, exited);
    } catch (err) {
      child.kill('SIGKILL');
      await exited;
      const log = existsSync(errorLog) ? readFileSync(errorLog, 'utf8') : '';
      // Someone took the free port in between: once more with another.
      if (attempt < 3 && /Address already in use/.test(log)) continue;
      throw new Error(`nginx did not start: ${(err as Error).message}\n${log}`);
    }
    return {
      url: `https://127.0.0.1:${port}`,
      port,
      errorLog: () => (existsSync(errorLog) ? readFileSync(errorLog, 'utf8') : ''),
      accessLog: () => (existsSync(join(dir, 'access.log')) ? readFileSync(join(dir, 'access.log'), 'utf8') : ''),
      async stop() {
        if (child.exitCode === null && child.signalCode === null) {
          // Fast shutdown: open WebSockets would hold a graceful one (SIGQUIT) for as long as they last.
          child.kill('SIGTERM');
          const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
          await exited;
          clearTimeout(killer);
        }
      },
    };
  }
}

/**
 * Waits until nginx sends requests to `node` again (after it was down, nginx skips it for fail_timeout):
 * asks through the proxy until its access log shows that node answering.
 */
export async function routedTo(proxy: Proxy, tls: Tls, node: NodeProcess): Promise<void> {
  for (let i = 0; i < 100; i++) {
    await httpsFetch(`${proxy.url}/healthz`, tls.cert);
    const last = proxy.accessLog().trimEnd().split('\n').at(-1) ?? '';
    if (/"GET \/healthz [^"]*"/.test(last) && last.endsWith(`127.0.0.1:${node.port}`)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nginx never sent a request to ${node.name} again`);
}

/* ---- one test file's deployment ---- */

export interface Deployment {
  readonly tls: Tls;
  readonly prefix: string;
  readonly nodes: NodeProcess[];
  readonly proxy: Proxy;
  readonly browser: Browser;
  /** A browser context that trusts the test's certificate (and only needs to). */
  context(): Promise<BrowserContext>;
  /** Starts a node again on the port it had (after it stopped), as systemd would. */
  restart(index: number): Promise<NodeProcess>;
}

/** For a test file: certificate, two nodes, nginx in front and Chromium, started before its tests and stopped after. */
export function useDeployment(options: { drainMs?: number } = {}): Deployment {
  const d = { nodes: [] as NodeProcess[] } as {
    dir: string;
    tls: Tls;
    prefix: string;
    nodes: NodeProcess[];
    proxy: Proxy;
    browser: Browser;
  };
  before(async () => {
    d.dir = mkdtempSync(join(tmpdir(), 'comet-deploy-'));
    d.prefix = randomPrefix();
    d.tls = await makeCertificate(d.dir);
    // One after the other, as real nodes start: the first one stores app 1's settings.
    for (const name of ['node1', 'node2']) {
      d.nodes.push(await startNode(name, d.prefix, options));
      await nodesSubscribed(d.prefix, d.nodes.length);
    }
    d.proxy = await startNginx(d.dir, d.tls, [d.nodes[0].port, d.nodes[1].port]);
    d.browser = await launchBrowser();
  });
  after(async () => {
    await d.browser?.close();
    await d.proxy?.stop();
    for (const node of d.nodes) {
      if (node.child.exitCode === null && node.child.signalCode === null) node.child.kill('SIGKILL');
      await node.exited;
    }
    await deleteKeysUnder(d.prefix);
    rmSync(d.dir, { recursive: true, force: true });
  });
  return {
    get tls() {
      return d.tls;
    },
    get prefix() {
      return d.prefix;
    },
    get nodes() {
      return d.nodes;
    },
    get proxy() {
      return d.proxy;
    },
    get browser() {
      return d.browser;
    },
    context: () => d.browser.newContext({ ignoreHTTPSErrors: true }),
    async restart(index) {
      const old = d.nodes[index];
      const node = await startNode(old.name, d.prefix, { ...options, port: old.port });
      d.nodes[index] = node;
      await nodesSubscribed(
        d.prefix,
        d.nodes.filter((n) => n.child.exitCode === null && n.child.signalCode === null).length,
      );
      return node;
    },
  };
}
