/**
 * Static files: the public browser bundles from dist/ and, in demo mode, the demo/ folder.
 * Paths are resolved inside their root only (no `..`, no dotfiles); answers carry an ETag for 304s.
 */
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.php': 'text/plain; charset=utf-8',
};

/**
 * The public scripts served from dist/: /comet-chat.js, the chunks it loads only when needed beside it
 * (/comet-chat-ru.js, …; scripts/build-chunks.mjs), /CometServerApi.js, and their source maps.
 */
const PUBLIC_SCRIPT = /^\/(comet-chat(?:-[a-z0-9]+)?|CometServerApi)\.js(?:\.map)?$/;

/** The file in dist/ of a public script's URL path, or undefined for any other path. */
export function publicScript(path: string): string | undefined {
  return PUBLIC_SCRIPT.test(path) ? path.slice(1) : undefined;
}

/**
 * Where dist/ and demo/ are: the comet-chat-server package (installed, or packages/comet-chat-server
 * once built), or the repository itself when the server runs from its sources. Found from this file.
 */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const { name } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string };
      if (name === 'comet-chat-server' || name === 'comet-chat-workspace') return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('comet-chat-server package root not found');
    dir = parent;
  }
}

export interface ServeOptions {
  cacheControl: string;
  /** Adds `Access-Control-Allow-Origin: *` (public scripts any page may load). */
  cors?: boolean;
}

/**
 * Serves one file if it exists. Returns false (nothing written) when there is no such file,
 * so the caller can go on to a 404.
 */
export async function serveFile(
  req: IncomingMessage,
  res: ServerResponse,
  file: string,
  options: ServeOptions,
): Promise<boolean> {
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) return false;
  const etag = `W/"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
  const headers: Record<string, string | number> = {
    ETag: etag,
    'Cache-Control': options.cacheControl,
    'Last-Modified': info.mtime.toUTCString(),
    'X-Content-Type-Options': 'nosniff',
  };
  if (options.cors) headers['Access-Control-Allow-Origin'] = '*';
  if (etagMatches(req.headers['if-none-match'], etag)) {
    res.writeHead(304, headers);
    res.end();
    return true;
  }
  headers['Content-Type'] = CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
  headers['Content-Length'] = info.size;
  res.writeHead(200, headers);
  if (req.method === 'HEAD') {
    res.end();
    return true;
  }
  // pipeline, not pipe: when the client goes away the file is closed too (pipe kept it open for good).
  // A pipelined request still queued behind others gets no close of its response: its request's close.
  const stream = createReadStream(file);
  req.once('close', () => stream.destroy());
  pipeline(stream, res, () => undefined);
  return true;
}

function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const tags = header.split(',').map((t) => t.trim().replace(/^W\//, ''));
  return tags.includes('*') || tags.includes(etag.replace(/^W\//, ''));
}

/**
 * Maps a URL path to a file under `root`, or null when it would leave the root, names a dotfile,
 * or is malformed. A path ending in `/` means its index.html.
 */
export function resolveInside(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  if (decoded.split('/').some((segment) => segment.startsWith('.'))) return null;
  const base = resolve(root);
  const file = resolve(base, '.' + (decoded.endsWith('/') ? decoded + 'index.html' : decoded));
  return file === base || file.startsWith(base + sep) ? file : null;
}

/**
 * Serves a file of a folder, falling back to `<dir>/index.html` for a directory path without a slash.
 * Top-level folders named in `hidden` are never served (server-side code living next to the pages).
 */
export async function serveFromFolder(
  req: IncomingMessage,
  res: ServerResponse,
  root: string,
  urlPath: string,
  hidden: readonly string[] = [],
): Promise<boolean> {
  const file = resolveInside(root, urlPath);
  if (
    !file ||
    hidden.some((dir) => file === join(resolve(root), dir) || file.startsWith(join(resolve(root), dir) + sep))
  ) {
    return false;
  }
  // Demo pages change while developing: always revalidate (cheap with the ETag).
  const options: ServeOptions = { cacheControl: 'no-cache' };
  if (await serveFile(req, res, file, options)) return true;
  const info = await stat(file).catch(() => undefined);
  return info?.isDirectory() === true && serveFile(req, res, join(file, 'index.html'), options);
}
