/**
 * A light Socket.IO client for the many-connections bench: one `ws` WebSocket speaking the real
 * Engine.IO v4 / Socket.IO v5 text protocol (open, ping → pong, CONNECT with auth, events, acks), and
 * nothing else. socket.io-client costs a few times the server's memory per connection, so thousands
 * of them would measure the load generator; this keeps the generator cheaper than what it measures.
 *
 * Packets it knows: Engine.IO `0` open, `2` ping (answered `3`), `4` message carrying a Socket.IO
 * packet: `0` CONNECT, `4` CONNECT_ERROR, `2` EVENT (`2<id>[…]` when the server wants an ack), `3` ACK.
 * Events it takes: `message`, and our server's `batch` when it asked for them.
 */
import WebSocket from 'ws';
import { BENCH_PIPE, type Dialect } from './protocol.js';

export interface LightClientOptions {
  /** The server's http://host:port. */
  url: string;
  dialect: Dialect;
  /** Our server's app (comet dialect). */
  app?: string;
  /** Loopback source address (127.0.0.2, …): each has its own ~28,000 ephemeral ports. */
  localAddress?: string;
  /** Ask our server for `batch` events (a busy pipe's messages several to a frame). */
  batch?: boolean;
  /** Called with each message received (a `batch` event's one by one): the bench's payload, whatever the dialect. */
  onMessage?: (payload: unknown) => void;
}

/** Connects, CONNECTs and subscribes to the bench pipe (room); resolves once the subscription is acknowledged. */
export function openLightClient(options: LightClientOptions): Promise<WebSocket> {
  const wsUrl = `${options.url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`;
  const ws = new WebSocket(wsUrl, {
    perMessageDeflate: false,
    ...(options.localAddress ? { localAddress: options.localAddress } : {}),
  });
  const auth = options.batch ? { dev_id: options.app, batch: true } : { dev_id: options.app };
  const connect = options.dialect === 'comet' ? `40${JSON.stringify(auth)}` : '40';
  const subscribe =
    options.dialect === 'comet'
      ? `421["subscribe",${JSON.stringify({ pipes: [BENCH_PIPE] })}]`
      : `421["join","${BENCH_PIPE}"]`;
  return new Promise((resolve, reject) => {
    let subscribed = false;
    const fail = (err: Error): void => {
      ws.terminate();
      reject(err);
    };
    ws.on('error', (err) => (subscribed ? undefined : fail(err)));
    ws.on('close', () => (subscribed ? undefined : reject(new Error('closed before subscribing'))));
    ws.on('message', (raw) => {
      const text = (raw as Buffer).toString();
      const engine = text[0];
      if (engine === '2') return ws.send('3');
      if (engine === '0') return ws.send(connect);
      if (engine !== '4') return;
      const kind = text[1];
      if (kind === '2') return onEvent(ws, text, options);
      if (kind === '0') return ws.send(subscribe);
      if (kind === '4') return fail(new Error(`connect refused: ${text.slice(2)}`));
      if (kind === '3' && text.startsWith('431')) {
        const reply = JSON.parse(text.slice(3)) as [{ error?: string }?];
        if (reply[0]?.error) return fail(new Error(`subscribe failed: ${reply[0].error}`));
        subscribed = true;
        resolve(ws);
      }
    });
  });
}

const MESSAGE_EVENT = '["message",';
const BATCH_EVENT = '["batch",';

/**
 * `42[…]` or `42<ack id>[…]`: `message` and `batch` events go to the listener (the bench's payload: ours
 * wraps it in `data`), and an ack id is answered as a browser does.
 */
function onEvent(ws: WebSocket, text: string, options: LightClientOptions): void {
  const bracket = text.indexOf('[', 2);
  const payload = (msg: unknown): unknown => (options.dialect === 'comet' ? (msg as { data: unknown }).data : msg);
  if (text.startsWith(MESSAGE_EVENT, bracket)) {
    if (bracket > 2) ws.send(`43${text.slice(2, bracket)}[]`);
    options.onMessage?.(payload(JSON.parse(text.slice(bracket + MESSAGE_EVENT.length, -1))));
  } else if (text.startsWith(BATCH_EVENT, bracket)) {
    const batch = JSON.parse(text.slice(bracket + BATCH_EVENT.length, -1)) as { messages: unknown[] };
    for (const msg of batch.messages) options.onMessage?.(payload(msg));
  }
}
