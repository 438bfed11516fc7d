/**
 * MySQL packet framing and field codecs: a 3-byte little-endian payload length, a sequence id,
 * then the payload. Lengths are read before anything is buffered for them, so a peer can never
 * make us hold more than one maximum packet.
 */

/** Largest payload one frame carries; a frame of exactly this size announces a continuation. */
export const MAX_FRAME_PAYLOAD = 0xffffff;
/** Our max_allowed_packet: one frame's worth, continuations are refused. */
export const MAX_PACKET_PAYLOAD = MAX_FRAME_PAYLOAD - 1;

export interface Packet {
  seq: number;
  payload: Buffer;
}

/** Raised for packets that do not parse; the session answers them and closes. */
export class MalformedPacket extends Error {
  override name = 'MalformedPacket';
}

/** Raised when a peer announces a packet over the 16 MiB limit. */
export class PacketTooLarge extends Error {
  override name = 'PacketTooLarge';
}

/** Cuts a byte stream into packets. Continued (≥ 16 MiB) packets are refused. */
export class PacketFramer {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Largest payload accepted; lowered while a peer has not logged in. */
  maxPayload = MAX_PACKET_PAYLOAD;

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /** The next whole packet, or null while more bytes are needed. */
  next(): Packet | null {
    if (this.buffered < 4) return null;
    const head = this.peek(4);
    const length = head.readUIntLE(0, 3);
    if (length > this.maxPayload) throw new PacketTooLarge(`packet of ${length} bytes`);
    if (this.buffered < 4 + length) return null;
    const all = this.take(4 + length);
    return { seq: all[3], payload: all.subarray(4) };
  }

  private peek(n: number): Buffer {
    if (this.chunks[0].length < n) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0].subarray(0, n);
  }

  private take(n: number): Buffer {
    const joined = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    const rest = joined.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return joined.subarray(0, n);
  }
}

/** Frames one payload (split into continuation frames when it is that big); returns the next seq. */
export function frame(seq: number, payload: Buffer): { bytes: Buffer; nextSeq: number } {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const size = Math.min(MAX_FRAME_PAYLOAD, payload.length - offset);
    const head = Buffer.alloc(4);
    head.writeUIntLE(size, 0, 3);
    head[3] = seq & 0xff;
    seq = (seq + 1) & 0xff;
    parts.push(head, payload.subarray(offset, offset + size));
    offset += size;
    if (size < MAX_FRAME_PAYLOAD) break;
  }
  return { bytes: Buffer.concat(parts), nextSeq: seq };
}

/** Builds a payload field by field. */
export class PayloadWriter {
  private parts: Buffer[] = [];

  int1(n: number): this {
    return this.raw(Buffer.from([n & 0xff]));
  }

  int2(n: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(n & 0xffff);
    return this.raw(b);
  }

  int4(n: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n >>> 0);
    return this.raw(b);
  }

  /** Length-encoded integer. */
  lenenc(n: number): this {
    if (n < 251) return this.int1(n);
    if (n < 0x10000) return this.int1(0xfc).int2(n);
    if (n < 0x1000000) {
      const b = Buffer.alloc(3);
      b.writeUIntLE(n, 0, 3);
      return this.int1(0xfd).raw(b);
    }
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(n));
    return this.int1(0xfe).raw(b);
  }

  /** Length-encoded string. */
  lenencString(s: string | Buffer): this {
    const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
    return this.lenenc(b.length).raw(b);
  }

  /** NUL-terminated string. */
  nulString(s: string | Buffer): this {
    return this.raw(typeof s === 'string' ? Buffer.from(s, 'utf8') : s).int1(0);
  }

  raw(b: Buffer): this {
    this.parts.push(b);
    return this;
  }

  build(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** Reads a payload field by field; every read is bounds-checked. */
export class PayloadReader {
  private pos = 0;

  constructor(private readonly buf: Buffer) {}

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  int1(): number {
    return this.bytes(1)[0];
  }

  int2(): number {
    return this.bytes(2).readUInt16LE(0);
  }

  int4(): number {
    return this.bytes(4).readUInt32LE(0);
  }

  lenenc(): number {
    const first = this.int1();
    if (first < 0xfb) return first;
    if (first === 0xfc) return this.int2();
    if (first === 0xfd) return this.bytes(3).readUIntLE(0, 3);
    if (first === 0xfe) {
      const n = this.bytes(8).readBigUInt64LE(0);
      if (n > BigInt(this.buf.length)) throw new MalformedPacket('length-encoded integer out of range');
      return Number(n);
    }
    throw new MalformedPacket('bad length-encoded integer');
  }

  /** Bytes up to (not including) the next NUL; the NUL is consumed. Without one, the rest. */
  nulBytes(): Buffer {
    const end = this.buf.indexOf(0, this.pos);
    const stop = end === -1 ? this.buf.length : end;
    const out = this.buf.subarray(this.pos, stop);
    this.pos = end === -1 ? stop : stop + 1;
    return out;
  }

  bytes(n: number): Buffer {
    if (n < 0 || this.pos + n > this.buf.length) throw new MalformedPacket('packet too short');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  rest(): Buffer {
    return this.bytes(this.remaining);
  }
}
