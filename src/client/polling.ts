/**
 * engine.io's HTTP long-polling transport, for networks that refuse WebSocket, and the later tries to move back
 * to WebSocket. Loaded only when needed (transport-fallback.ts): the browser bundle has it as a chunk of its
 * own, comet-chat-polling.js.
 */
import type { Socket } from 'socket.io-client';

export { XHR as Polling } from 'socket.io-client';

/** The first try comes this long after the fallback, each next one twice as late, up to UPGRADE_MAX_MS. */
const UPGRADE_FIRST_MS = 15_000;
const UPGRADE_MAX_MS = 600_000;

/** The engine.io connection's address, as engine.io keeps it. */
interface EngineAddress {
  secure: boolean;
  hostname: string;
  port: string;
  opts: { path: string };
}

/**
 * While `socket` is connected over polling, tries now and then whether the network lets a WebSocket through (a
 * bare WebSocket to the server, closed at once). When one opens, the polling connection is closed: the
 * reconnect that follows tries WebSocket first (transport-fallback.ts), and catch-up fills the moment between.
 * Tries grow rarer (15 s, 30 s, … up to 10 min), so a network that lets a probe through but not the real
 * connection costs few reconnects. Stops once the socket is disconnected for good (at its next try).
 */
export function upgradeLater(socket: Socket): void {
  if (typeof WebSocket === 'undefined') return;
  let wait = UPGRADE_FIRST_MS;
  const next = () => {
    // Under Node (which may have a WebSocket too) a pending try does not keep the process alive.
    (setTimeout(tryUpgrade, wait) as { unref?: () => void }).unref?.();
    wait = Math.min(wait * 2, UPGRADE_MAX_MS);
  };
  const tryUpgrade = () => {
    if (!socket.active) return;
    const engine = socket.io.engine;
    if (!socket.connected || engine.transport.name !== 'polling') return next();
    const { secure, hostname, port, opts } = engine as unknown as EngineAddress;
    const host = hostname.includes(':') ? `[${hostname}]` : hostname;
    const probe = new WebSocket(`${secure ? 'wss' : 'ws'}://${host}:${port}${opts.path}?EIO=4&transport=websocket`);
    probe.onopen = () => {
      probe.close();
      if (socket.io.engine === engine) engine.close();
      next();
    };
    probe.onerror = next;
  };
  next();
}
