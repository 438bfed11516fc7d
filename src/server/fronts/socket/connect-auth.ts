/**
 * AuthInfo in the CONNECT packet, for clients that ask (`HandshakeAuth.auth_in_connect`): next to the socket
 * id (`{ sid, auth }`, ConnectData) instead of an `auth` event of its own. That event was one frame, one
 * encoding and one write per connection opened, the largest part of what opening one costs over bare
 * Socket.IO. Socket.IO builds the CONNECT packet itself (`{ sid, pid }`) and offers no hook for its data, so
 * its encoder (one for the server, used for every packet) adds the AuthInfo of a socket that is waiting for it.
 */
import type { AuthInfo, ConnectData } from '../../../protocol/wire.js';
import type { CometIo } from './types.js';

/** Socket.IO's packet type of CONNECT (socket.io-parser's PacketType.CONNECT). */
const CONNECT = 0;

interface EncodedPacket {
  type: number;
  data?: unknown;
}

/**
 * Makes `io`'s CONNECT packets carry `authFor(socket id)`, when it returns one (a socket whose client asked).
 * Every other packet is encoded as before.
 */
export function carryAuthInConnect(io: CometIo, authFor: (socketId: string) => AuthInfo | undefined): void {
  const encoder = io.encoder as { encode(packet: EncodedPacket): unknown[] };
  const encode = encoder.encode.bind(encoder);
  encoder.encode = (packet) => {
    if (packet.type !== CONNECT) return encode(packet);
    const data = packet.data as ConnectData | undefined;
    const auth = data?.sid === undefined ? undefined : authFor(data.sid);
    return encode(auth === undefined ? packet : { ...packet, data: { ...data, auth } });
  };
}
