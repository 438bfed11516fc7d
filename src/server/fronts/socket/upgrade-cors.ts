/**
 * Socket.IO's `cors` option puts the `cors` package in front of every engine.io request as a middleware,
 * WebSocket upgrades included: ~25 µs of each connection opened, to write two headers into the 101 that
 * browsers ignore there. Long-polling requests need it (pages of other origins); upgrades get the same two
 * headers written directly. Pinned by test/server/upgrade-cors.test.ts.
 */
import { ServerResponse, type IncomingMessage } from 'node:http';
import type { CometIo } from './types.js';

interface Headers {
  setHeader(name: string, value: string): void;
}
type Middleware = (req: IncomingMessage, res: Headers, next: (err?: unknown) => void) => void;

/**
 * For `io` made with `cors: { origin: true }`: the package's answer to an upgrade is the request's origin
 * reflected (when it has one) and `Vary: Origin`, nothing else. Its middleware is engine.io's first: no
 * header was set before it.
 */
export function answerUpgradesWithoutCorsPackage(io: CometIo): void {
  const { middlewares, opts } = io.engine as unknown as { middlewares: Middleware[]; opts: { cors?: object } };
  const cors = middlewares[0];
  // Other options would answer upgrades otherwise: what is written below stands for this one only.
  const originTrue = opts.cors !== undefined && JSON.stringify(opts.cors) === '{"origin":true}';
  if (!originTrue || middlewares.length !== 1 || cors === undefined) {
    throw new Error('expected the cors middleware alone, made with { origin: true }');
  }
  middlewares[0] = (req, res, next) => {
    // engine.io hands a real response to polling requests only; an upgrade's stands in for the 101.
    if (res instanceof ServerResponse) return cors(req, res, next);
    const { origin } = req.headers;
    if (origin) res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Vary', 'Origin');
    next();
  };
}
