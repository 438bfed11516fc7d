/**
 * Connection phase: the v10 greeting, the client's HandshakeResponse41, the switch to
 * mysql_native_password when a client proposes another plugin, and the password check.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { CHARSET_UTF8MB4, CLIENT, SERVER_CAPABILITIES, SERVER_VERSION, STATUS_AUTOCOMMIT } from './capabilities.js';
import { MalformedPacket, PayloadReader, PayloadWriter } from './packets.js';

export const NATIVE_PASSWORD = 'mysql_native_password';
const SCRAMBLE_LENGTH = 20;

/** 20 printable random bytes (never NUL: the greeting NUL-terminates them). */
export function createScramble(): Buffer {
  const bytes = randomBytes(SCRAMBLE_LENGTH);
  for (let i = 0; i < bytes.length; i++) bytes[i] = 33 + (bytes[i] % 94);
  return bytes;
}

export function greetingPacket(connectionId: number, scramble: Buffer): Buffer {
  return new PayloadWriter()
    .int1(10)
    .nulString(SERVER_VERSION)
    .int4(connectionId)
    .raw(scramble.subarray(0, 8))
    .int1(0)
    .int2(SERVER_CAPABILITIES & 0xffff)
    .int1(CHARSET_UTF8MB4)
    .int2(STATUS_AUTOCOMMIT)
    .int2(SERVER_CAPABILITIES >>> 16)
    .int1(SCRAMBLE_LENGTH + 1)
    .raw(Buffer.alloc(10))
    .nulString(scramble.subarray(8))
    .nulString(NATIVE_PASSWORD)
    .build();
}

export interface HandshakeResponse {
  /** Capabilities in effect: the client's, limited to ours. */
  capabilities: number;
  user: string;
  authResponse: Buffer;
  database?: string;
  plugin?: string;
}

/** The 32-byte SSLRequest a client sends when it wants TLS, which we do not offer. */
export function isSslRequest(payload: Buffer): boolean {
  return payload.length === 32 && (payload.readUInt32LE(0) & CLIENT.SSL) !== 0;
}

export function parseHandshakeResponse(payload: Buffer): HandshakeResponse {
  const r = new PayloadReader(payload);
  const clientCaps = r.int4();
  if ((clientCaps & CLIENT.PROTOCOL_41) === 0) throw new MalformedPacket('client does not speak protocol 4.1');
  const capabilities = clientCaps & SERVER_CAPABILITIES;
  r.int4(); // max packet size: ours is fixed at 16 MiB
  r.int1(); // charset: every query is read as UTF-8
  r.bytes(23);
  const user = r.nulBytes().toString('utf8');
  let authResponse: Buffer;
  if (capabilities & CLIENT.PLUGIN_AUTH_LENENC_CLIENT_DATA) authResponse = r.bytes(r.lenenc());
  else if (capabilities & CLIENT.SECURE_CONNECTION) authResponse = r.bytes(r.int1());
  else authResponse = r.nulBytes();
  const out: HandshakeResponse = { capabilities, user, authResponse: Buffer.from(authResponse) };
  if (capabilities & CLIENT.CONNECT_WITH_DB && r.remaining > 0) {
    const db = r.nulBytes().toString('utf8');
    if (db !== '') out.database = db;
  }
  if (capabilities & CLIENT.PLUGIN_AUTH && r.remaining > 0) out.plugin = r.nulBytes().toString('utf8');
  return out;
}

/** Asks the client to answer the same scramble with mysql_native_password. */
export function authSwitchPacket(scramble: Buffer): Buffer {
  return new PayloadWriter().int1(0xfe).nulString(NATIVE_PASSWORD).nulString(scramble).build();
}

const sha1 = (...parts: Buffer[]): Buffer => {
  const h = createHash('sha1');
  for (const p of parts) h.update(p);
  return h.digest();
};

/** What a client holding `password` sends: SHA1(pw) XOR SHA1(scramble + SHA1(SHA1(pw))). */
export function nativePasswordToken(password: string, scramble: Buffer): Buffer {
  const stage1 = sha1(Buffer.from(password, 'utf8'));
  const mask = sha1(scramble, sha1(stage1));
  for (let i = 0; i < stage1.length; i++) stage1[i] ^= mask[i];
  return stage1;
}

export function verifyNativePassword(secret: string, scramble: Buffer, response: Buffer): boolean {
  if (response.length !== SCRAMBLE_LENGTH) return false;
  return timingSafeEqual(nativePasswordToken(secret, scramble), response);
}
