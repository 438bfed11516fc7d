/**
 * The HTTP front: one Node request handler for the backend API (/api/v1), the health and metrics
 * endpoints, the public browser bundles and, in demo mode, the demo pages.
 * It only translates HTTP to BackendApi calls; it never touches a store.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { BackendApi } from '../../core/api.js';
import type { Metrics } from '../../metrics.js';
import { clientAddress, DEFAULT_TRUSTED_PROXIES, plainAddress } from '../address.js';
import type { LoginFailures } from '../login-failures.js';
import { API_PREFIX, handleApi } from './api.js';
import { DEFAULT_MAX_BODY_BYTES } from './body.js';
import { HttpError, sendError, sendJson } from './respond.js';
import { packageRoot, publicScript, serveFile, serveFromFolder } from './static.js';

export interface HttpFrontDeps {
  core: BackendApi;
  metrics: Metrics;
  /** False while starting or shutting down: /readyz answers 503. */
  isReady: () => boolean;
  /** False while the store cannot be reached: /readyz answers 503 and says so. Default: always reachable. */
  storeAvailable?: () => boolean;
  /** Where the files come from; defaults are `<package>/dist` and `<package>/demo`. */
  staticRoots?: { dist?: string; demo?: string };
  /** Serve the demo/ folder at `/`. */
  demo?: boolean;
  /**
   * Extra routes (e.g. the demo backend), tried after the API and before static files.
   * Return true when the request was answered.
   */
  extraRoutes?: (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;
  /**
   * Peers that may read /metrics (its labels name apps and their traffic); default loopback. A
   * proxy in front decides for its own clients (deploy/nginx allows only its host).
   */
  metricsFrom?: readonly string[];
  /** Failed backend logins per client address, shared with the CometQL port. */
  logins?: LoginFailures;
  /** Peers whose X-Forwarded-For names the client (for counting failed logins); default loopback. */
  trustedProxies?: readonly string[];
  /** Largest accepted request body; default 1 MiB. */
  maxBodyBytes?: number;
  /** Where internal faults are reported (never to the client); default console.error. */
  log?: (message: string, err: unknown) => void;
}

const DEFAULT_METRICS_FROM = ['127.0.0.1', '::1'];
/** Folders of demo/ that hold the demo's server-side code, not pages: never served. */
const DEMO_PRIVATE_DIRS = ['backend'];
/** Public scripts may be cached a little: a release changes them, the ETag catches it. */
const SCRIPT_CACHE_CONTROL = 'public, max-age=300';

export type HttpHandler = (req: IncomingMessage, res: ServerResponse) => void;

export function createHttpFront(deps: HttpFrontDeps): HttpHandler {
  const distDir = deps.staticRoots?.dist ?? join(packageRoot(), 'dist');
  const demoDir = deps.staticRoots?.demo ?? join(packageRoot(), 'demo');
  const maxBodyBytes = deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const log = deps.log ?? ((message: string, err: unknown) => console.error(`[http] ${message}`, err));
  const metricsFrom = new Set((deps.metricsFrom ?? DEFAULT_METRICS_FROM).map(plainAddress));

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = parseUrl(req.url);
    const path = url.pathname;
    const method = req.method ?? 'GET';

    if (path.startsWith(API_PREFIX)) {
      const address = () => clientAddress(req, deps.trustedProxies ?? DEFAULT_TRUSTED_PROXIES);
      const logins = deps.logins && { failures: deps.logins, address };
      return handleApi(deps.core, req, res, url, maxBodyBytes, logins);
    }
    if (path === '/api' || path.startsWith('/api/'))
      throw new HttpError(404, 'not_found', `no route ${method} ${path}`);

    // /livez: the process answers. /readyz (and /healthz, its older name): it can serve, store included.
    if (path === '/livez') {
      readOnly(method);
      return sendJson(res, 200, { status: 'ok' });
    }
    if (path === '/readyz' || path === '/healthz') {
      readOnly(method);
      const store = deps.storeAvailable?.() ?? true;
      const ready = deps.isReady() && store;
      return sendJson(res, ready ? 200 : 503, {
        status: ready ? 'ok' : 'unavailable',
        store: store ? 'ok' : 'unavailable',
      });
    }
    // The raw target too: a proxy in front matches paths as sent, and `/x\..\metrics` or `/%2e%2e/metrics`
    // only becomes /metrics in URL parsing here, after it passed the proxy's rules for /metrics.
    if (path === '/metrics' && req.url?.split('?')[0] !== '/metrics') {
      throw new HttpError(404, 'not_found', `no route ${method} ${path}`);
    }
    if (path === '/metrics') {
      readOnly(method);
      if (!metricsFrom.has(plainAddress(req.socket.remoteAddress ?? ''))) {
        throw new HttpError(403, 'forbidden', 'metrics are served only to the addresses in metricsFrom');
      }
      const text = deps.metrics.render();
      res.writeHead(200, {
        'Content-Type': 'text/plain; version=0.0.4; charset=utf-8',
        'Content-Length': Buffer.byteLength(text),
        'Cache-Control': 'no-store',
      });
      res.end(text);
      return;
    }

    if (deps.extraRoutes && (await deps.extraRoutes(req, res))) return;

    const script = publicScript(path);
    if (script !== undefined) {
      if (method === 'OPTIONS') return preflightForScripts(res);
      readOnly(method);
      if (await serveFile(req, res, join(distDir, script), { cacheControl: SCRIPT_CACHE_CONTROL, cors: true })) return;
      throw new HttpError(404, 'not_found', `${path} is not built (run npm run build)`);
    }
    if (
      deps.demo &&
      (method === 'GET' || method === 'HEAD') &&
      (await serveFromFolder(req, res, demoDir, path, DEMO_PRIVATE_DIRS))
    )
      return;
    throw new HttpError(404, 'not_found', `no route ${method} ${path}`);
  }

  return (req, res) => {
    res.on('finish', () => deps.metrics.httpResponse(res.statusCode));
    route(req, res).catch((err: unknown) => {
      if (abortedByClient(req)) {
        // The client hung up in the middle of its request: nothing to answer, and nothing wrong here.
        deps.metrics.error('http_aborted');
        res.destroy();
        return;
      }
      const status = sendError(res, err, log);
      if (status >= 500) deps.metrics.error('http_internal');
    });
  };
}

/** The client closed the connection before its request was complete (e.g. mid-upload). */
function abortedByClient(req: IncomingMessage): boolean {
  return req.destroyed && !req.complete;
}

/** The request target as a URL; `//x` stays a path (never read as a host). */
function parseUrl(target: string | undefined): URL {
  if (!target?.startsWith('/')) throw new HttpError(400, 'invalid', 'malformed request target');
  try {
    return new URL(`http://localhost${target}`);
  } catch {
    throw new HttpError(400, 'invalid', 'malformed request target');
  }
}

function readOnly(method: string): void {
  if (method !== 'GET' && method !== 'HEAD') {
    throw new HttpError(405, 'method_not_allowed', 'use GET or HEAD', { Allow: 'GET, HEAD' });
  }
}

function preflightForScripts(res: ServerResponse): void {
  res.writeHead(204, {
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Allow-Methods': 'GET, HEAD',
    'Access-Control-Max-Age': '86400',
    'Content-Length': 0,
  });
  res.end();
}
