/**
 * A small HTTP proxy in front of a server, as an office or school network has: it forwards plain HTTP requests
 * and refuses the `Upgrade` to WebSocket (while `refuseUpgrade` is true; set it false to let WebSocket through).
 * It counts what it saw, and can go down: every connection it holds dropped, every new one refused (a network blip).
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';

export interface UpgradeProxy {
  url: string;
  refuseUpgrade: boolean;
  /** While true, nothing gets through (connections are closed as they come). */
  down: boolean;
  /** Upgrade requests refused, and let through. */
  readonly upgrades: { refused: number; passed: number };
  /** Paths (with query) of the plain requests forwarded. */
  readonly requests: string[];
  /** Drops every connection it holds, both ways. */
  dropAll(): void;
  /** Goes down (dropping everything) for `ms`, then forwards again. */
  blip(ms: number): Promise<void>;
  close(): Promise<void>;
}

/** `target` gives the server's URL when a connection comes (a test file's hooks may start the server later). */
export async function startUpgradeProxy(target: () => string): Promise<UpgradeProxy> {
  const where = () => new URL(target());
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    if (proxy.down) return s.destroy();
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  };
  const server: Server = createServer((req, res) => {
    proxy.requests.push(req.url ?? '');
    const { hostname, port } = where();
    const upstream = request(
      { host: hostname, port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connection', track);
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    if (proxy.refuseUpgrade) {
      proxy.upgrades.refused++;
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    proxy.upgrades.passed++;
    const { hostname, port } = where();
    const upstream = connect(Number(port), hostname, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      upstream.write(head);
      socket.pipe(upstream).pipe(socket);
    });
    track(upstream);
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxy: UpgradeProxy = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    refuseUpgrade: true,
    down: false,
    upgrades: { refused: 0, passed: 0 },
    requests: [],
    dropAll: () => sockets.forEach((s) => s.destroy()),
    async blip(ms) {
      proxy.down = true;
      proxy.dropAll();
      await new Promise((r) => setTimeout(r, ms));
      proxy.down = false;
    },
    close: () =>
      new Promise((resolve) => {
        proxy.dropAll();
        server.close(() => resolve());
      }),
  };
  return proxy;
}
