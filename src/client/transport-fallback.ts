/**
 * Networks that refuse WebSocket (an office or school proxy that forwards HTTP but not the `Upgrade`): once a
 * connection attempt has failed at the transport, the HTTP long-polling transport is loaded (in the browser
 * bundle a chunk of its own, fetched from beside comet-chat.js), and from then on every attempt tries WebSocket
 * first and polling when WebSocket fails. So a reconnect upgrades by itself once the network lets WebSocket
 * through (a connection on polling also tries now and then: polling.ts), and a server that was merely down is
 * reached over WebSocket again when it is back: polling needs sticky sessions behind a load balancer, WebSocket
 * does not (docs/deploy.md).
 */
import { WebSocket, type Socket } from 'socket.io-client';

/** Sockets whose next attempts may fall back to polling, or are about to. */
const allowed = new WeakSet<Socket>();

/**
 * Lets `socket`'s next attempts fall back to polling; should the transport not load, the next failure tries again.
 * Browsers only: this polling runs on XMLHttpRequest, and this WebSocket transport on the browser's WebSocket (in
 * Node, Socket.IO's default transports are others, and they stay).
 */
export function allowPolling(socket: Socket): void {
  if (typeof XMLHttpRequest === 'undefined' || allowed.has(socket)) return;
  allowed.add(socket);
  import('./polling.js').then(
    ({ Polling, upgradeLater }) => {
      Object.assign(socket.io.opts, { transports: [WebSocket, Polling], tryAllTransports: true });
      upgradeLater(socket);
    },
    () => allowed.delete(socket),
  );
}
