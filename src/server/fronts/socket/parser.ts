/**
 * Socket.IO's own parser, refusing binary attachments. The chat sends JSON only, and a packet that
 * announces attachments makes the decoder hold every binary frame until the last one arrives (up to
 * ten of up to maxHttpBufferSize each): memory one connection could pin for free. Such a packet, or a
 * binary frame, is a decoding error, and Socket.IO closes the connection.
 */
import { Decoder, Encoder } from 'socket.io-parser';

class TextOnlyDecoder extends Decoder {
  constructor() {
    super({ maxAttachments: 0 });
  }
}

export const textOnlyParser = { Encoder, Decoder: TextOnlyDecoder };
