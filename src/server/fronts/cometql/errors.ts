/** MySQL error numbers and SQLSTATEs the CometQL front answers with. */
export const ER = {
  accessDenied: { errno: 1045, state: '28000' },
  badDb: { errno: 1049, state: '42000' },
  unknownCommand: { errno: 1047, state: '08S01' },
  handshake: { errno: 1043, state: '08S01' },
  packetTooLarge: { errno: 1153, state: '08S01' },
  syntax: { errno: 1064, state: '42000' },
  noSuchTable: { errno: 1146, state: '42S02' },
  badField: { errno: 1054, state: '42S22' },
  badNull: { errno: 1048, state: '23000' },
  wrongValueCount: { errno: 1136, state: '21S01' },
  wrongValue: { errno: 1366, state: 'HY000' },
  unknownSystemVariable: { errno: 1193, state: 'HY000' },
  unsupported: { errno: 1105, state: 'HY000' },
  /** ER_USER_LIMIT_REACHED: MySQL's answer when an account's resource limit is used up. */
  userLimit: { errno: 1226, state: '42000' },
  /** ER_HOST_IS_BLOCKED: MySQL's answer to a host with too many failed connections. */
  hostBlocked: { errno: 1129, state: 'HY000' },
} as const;

export type ErrorKind = keyof typeof ER;

/** A failure that goes back to the client as one ERR packet. */
export class SqlError extends Error {
  readonly errno: number;
  readonly sqlState: string;

  constructor(kind: ErrorKind, message: string) {
    super(message);
    this.name = 'SqlError';
    this.errno = ER[kind].errno;
    this.sqlState = ER[kind].state;
  }
}

/** MySQL's own wording for a parse failure, quoting the query from where parsing stopped. */
export function syntaxError(detail: string, sql: string, pos: number): SqlError {
  const rest = sql.slice(pos);
  const near = rest.length > 80 ? `${rest.slice(0, 80)}…` : rest;
  const line = sql.slice(0, pos).split('\n').length;
  return new SqlError(
    'syntax',
    `You have an error in your SQL syntax (${detail}); check the CometQL manual for the right syntax to use near '${near}' at line ${line}`,
  );
}
