/** Builders for the server's reply payloads: OK, ERR, EOF, column definitions and text rows. */
import { CHARSET_BINARY, CHARSET_UTF8MB4, DATABASE_NAME, STATUS_AUTOCOMMIT } from './capabilities.js';
import { PayloadWriter } from './packets.js';

const TYPE_LONGLONG = 0x08;
const TYPE_VAR_STRING = 0xfd;
const FLAG_BINARY = 128;
const FLAG_NUM = 32768;

export type CellValue = string | number | null;

export interface ResultColumn {
  name: string;
  type: 'string' | 'int';
  /** The table it comes from; absent for computed values. */
  table?: string;
}

export interface OkInfo {
  affectedRows?: number;
  insertId?: number;
  info?: string;
}

/** OK packet; with `eofHeader` it is the 0xFE-headed OK that ends a result set under CLIENT_DEPRECATE_EOF. */
export function okPacket(ok: OkInfo = {}, eofHeader = false): Buffer {
  const w = new PayloadWriter()
    .int1(eofHeader ? 0xfe : 0x00)
    .lenenc(ok.affectedRows ?? 0)
    .lenenc(ok.insertId ?? 0)
    .int2(STATUS_AUTOCOMMIT)
    .int2(0);
  // Length-prefixed, as MySQL 5.7 writes it with or without CLIENT_SESSION_TRACK.
  if (ok.info) w.lenencString(ok.info);
  return w.build();
}

export function errPacket(errno: number, sqlState: string, message: string): Buffer {
  return new PayloadWriter()
    .int1(0xff)
    .int2(errno)
    .raw(Buffer.from(`#${sqlState}`, 'ascii'))
    .raw(Buffer.from(message, 'utf8'))
    .build();
}

export function eofPacket(): Buffer {
  return new PayloadWriter().int1(0xfe).int2(0).int2(STATUS_AUTOCOMMIT).build();
}

export function columnDefinition(col: ResultColumn): Buffer {
  const numeric = col.type === 'int';
  return new PayloadWriter()
    .lenencString('def')
    .lenencString(col.table ? DATABASE_NAME : '')
    .lenencString(col.table ?? '')
    .lenencString(col.table ?? '')
    .lenencString(col.name)
    .lenencString(col.table ? col.name : '')
    .lenenc(0x0c)
    .int2(numeric ? CHARSET_BINARY : CHARSET_UTF8MB4)
    .int4(numeric ? 20 : 65535 * 4)
    .int1(numeric ? TYPE_LONGLONG : TYPE_VAR_STRING)
    .int2(numeric ? FLAG_NUM | FLAG_BINARY : 0)
    .int1(0)
    .int2(0)
    .build();
}

export function columnCount(n: number): Buffer {
  return new PayloadWriter().lenenc(n).build();
}

/** One row of the text protocol: every value as a length-encoded string, NULL as 0xFB. */
export function textRow(values: readonly CellValue[]): Buffer {
  const w = new PayloadWriter();
  for (const v of values) {
    if (v === null) w.int1(0xfb);
    else w.lenencString(String(v));
  }
  return w.build();
}
