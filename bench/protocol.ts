/**
 * The two wire dialects the bench speaks, behind one small interface, so every measurement
 * runs the same code against the baseline and against our server.
 */
import { io, type Socket } from 'socket.io-client';

/** Apps the bench's comet server is started with (the second counts receipts). */
export const BENCH_APP = 'bench';
export const BENCH_RECEIPTS_APP = 'bench-receipts';
/** The pipe (comet) / room (baseline) every subscriber joins. */
export const BENCH_PIPE = 'web_bench';

export type Dialect = 'socketio' | 'comet';

/** What a subscriber receives, whatever the dialect: the bench's own payload. */
export interface Payload {
  /** performance.timeOrigin + performance.now() at publish, in this process. */
  sentAt: number;
  seq: number;
  text: string;
}

export interface BenchClient {
  socket: Socket;
  subscribe(): Promise<void>;
  publish(payload: Payload): Promise<void>;
  onPayload(listener: (payload: Payload) => void): void;
  close(): void;
}

export async function connectClient(dialect: Dialect, url: string, app = BENCH_APP): Promise<BenchClient> {
  const socket = io(url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    ...(dialect === 'comet' ? { auth: { dev_id: app } } : {}),
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  if (dialect === 'socketio') {
    return {
      socket,
      subscribe: () => socket.emitWithAck('join', BENCH_PIPE),
      publish: (payload) => socket.emitWithAck('pub', BENCH_PIPE, payload),
      onPayload: (listener) => socket.on('message', listener),
      close: () => socket.disconnect(),
    };
  }
  return {
    socket,
    async subscribe() {
      const res = (await socket.emitWithAck('subscribe', { pipes: [BENCH_PIPE] })) as { error: string };
      if (res.error) throw new Error(`subscribe failed: ${res.error}`);
    },
    async publish(payload) {
      const res = (await socket.emitWithAck('publish', { pipe: BENCH_PIPE, data: payload })) as { error: string };
      if (res.error) throw new Error(`publish failed: ${res.error}`);
    },
    onPayload(listener) {
      // Answer the packet's ack as a real client does, so receipt mode sees its receipts.
      socket.on('message', (msg: { data: Payload }, ack?: () => void) => {
        listener(msg.data);
        if (typeof ack === 'function') ack();
      });
    },
    close: () => socket.disconnect(),
  };
}
