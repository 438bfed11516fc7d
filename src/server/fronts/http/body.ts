/** Reading a JSON request body: size-capped, content-type checked, parsed without trusting it. */
import type { IncomingMessage } from 'node:http';
import { HttpError } from './respond.js';

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/**
 * Reads and parses the body. An empty body reads as `{}` so bodiless calls need no ceremony;
 * a non-empty one must be `application/json`. Throws HttpError 413 / 415 / 400.
 */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const raw = await readRaw(req, maxBytes);
  if (raw.length === 0) return {};
  if (!isJsonContentType(req.headers['content-type'])) {
    throw new HttpError(415, 'unsupported_media_type', 'send the body as application/json');
  }
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    throw new HttpError(400, 'invalid', 'the body is not valid JSON');
  }
}

function readRaw(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) tooLarge();
      else chunks.push(chunk);
    };
    const tooLarge = (): void => {
      // Stop buffering but keep draining, so the 413 can be written; the answer closes the connection.
      failed = true;
      req.removeListener('data', onData);
      req.resume();
      reject(new HttpError(413, 'too_large', `the body is over ${maxBytes} bytes`, { Connection: 'close' }));
    };
    if (Number(req.headers['content-length'] ?? 0) > maxBytes) return tooLarge();
    req.on('data', onData);
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks, size));
    });
    req.on('error', reject);
  });
}

function isJsonContentType(header: string | undefined): boolean {
  const type = header?.split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || /^application\/[\w.+-]+\+json$/.test(type);
}
