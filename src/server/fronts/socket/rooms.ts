/**
 * Socket.IO room names. Every name starts with the app id and a control character that never occurs
 * in app ids, pipe or event names, so apps never share a room and the kinds of room never collide.
 */
import { appPipeKey } from '../../core/app-pipe.js';

/** Subscribers of a whole pipe. */
export const pipeRoom = appPipeKey;
/** Subscribers of one event of a pipe. */
export const eventRoom = (appId: string, pipe: string, event: string): string => `${appPipeKey(appId, pipe)}.${event}`;
/** Every connection subscribed to the pipe in any way: presence, counts, delete and typing notices. */
export const memberRoom = (appId: string, pipe: string): string => `${appId}\u0001${pipe}`;
/** Every connection of the app: notices about the app as a whole (its marker epoch). */
export const appRoom = (appId: string): string => `${appId}\u0003`;
/** Every connection of one authorized user: personal messages, disconnects. */
export const userRoom = (appId: string, userId: number): string => `${appId}\u0002${userId}`;

/**
 * The twin of a subscription room for clients that take `batch` events: a busy pipe's messages reach
 * them several to a frame, and everyone else one by one, without sorting sockets at every send.
 */
export const batchingRoom = (room: string): string => `${room}\u0004`;

/** Is this room a `pipe` or `pipe.event` subscription room (or its batching twin) of the given pipe? */
export function isSubscriptionRoomOf(room: string, appId: string, pipe: string): boolean {
  const whole = pipeRoom(appId, pipe);
  return room === whole || room === batchingRoom(whole) || room.startsWith(`${whole}.`);
}

/**
 * One string per room name, however many sockets are in the room: socket.io keeps each socket's rooms in a
 * set of its own, which would otherwise hold a copy of the name per socket (~30 B each, three per connection).
 * A name is dropped when its room is (the adapter's `delete-room` event, public API).
 */
export class RoomNames {
  private readonly names = new Map<string, string>();

  constructor(adapter: { on(event: 'delete-room', listener: (room: string) => void): unknown }) {
    adapter.on('delete-room', (room: string) => this.names.delete(room));
  }

  /** The one copy of the name: only for a room joined at once, or it stays until the room is made and gone. */
  of(name: string): string {
    const known = this.names.get(name);
    if (known !== undefined) return known;
    this.names.set(name, name);
    return name;
  }
}
