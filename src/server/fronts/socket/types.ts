import type { Server, Socket } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents } from '../../../protocol/wire.js';
import type { ConnectionIdentity, SettingsChange } from '../../core/fanout-port.js';

/** Kept on each socket (`socket.data`): readable from every node through fetchSockets. */
export type SocketData = ConnectionIdentity & {
  /** The client takes `batch` events (its handshake said so). */
  batch?: true;
};

/** Between the nodes of a cluster, through the adapter: socket-fanout.ts's delivery count query and setting changes. */
export interface ServerSideEvents {
  'comet:count': (query: { rooms: string[]; except: string[] }, reply: (count: number) => void) => void;
  'comet:settings': (change: SettingsChange) => void;
}

export type CometIo = Server<ClientToServerEvents, ServerToClientEvents, ServerSideEvents, SocketData>;
export type CometSocket = Socket<ClientToServerEvents, ServerToClientEvents, ServerSideEvents, SocketData>;
