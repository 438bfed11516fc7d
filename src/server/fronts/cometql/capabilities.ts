/** Capability and status flags of the MySQL protocol that this server speaks. */
export const CLIENT = {
  LONG_PASSWORD: 1,
  FOUND_ROWS: 1 << 1,
  LONG_FLAG: 1 << 2,
  CONNECT_WITH_DB: 1 << 3,
  NO_SCHEMA: 1 << 4,
  ODBC: 1 << 6,
  IGNORE_SPACE: 1 << 8,
  PROTOCOL_41: 1 << 9,
  INTERACTIVE: 1 << 10,
  SSL: 1 << 11,
  IGNORE_SIGPIPE: 1 << 12,
  TRANSACTIONS: 1 << 13,
  SECURE_CONNECTION: 1 << 15,
  MULTI_RESULTS: 1 << 17,
  PS_MULTI_RESULTS: 1 << 18,
  PLUGIN_AUTH: 1 << 19,
  CONNECT_ATTRS: 1 << 20,
  PLUGIN_AUTH_LENENC_CLIENT_DATA: 1 << 21,
  SESSION_TRACK: 1 << 23,
  DEPRECATE_EOF: 1 << 24,
} as const;

/**
 * What we offer: no SSL, no compression, no multi-statements, no local files. SESSION_TRACK is
 * offered only so every client reads the OK packet's info text as length-prefixed (we never
 * send session-state changes).
 */
export const SERVER_CAPABILITIES =
  CLIENT.LONG_PASSWORD |
  CLIENT.FOUND_ROWS |
  CLIENT.LONG_FLAG |
  CLIENT.CONNECT_WITH_DB |
  CLIENT.NO_SCHEMA |
  CLIENT.ODBC |
  CLIENT.IGNORE_SPACE |
  CLIENT.PROTOCOL_41 |
  CLIENT.INTERACTIVE |
  CLIENT.IGNORE_SIGPIPE |
  CLIENT.TRANSACTIONS |
  CLIENT.SECURE_CONNECTION |
  CLIENT.MULTI_RESULTS |
  CLIENT.PS_MULTI_RESULTS |
  CLIENT.PLUGIN_AUTH |
  CLIENT.CONNECT_ATTRS |
  CLIENT.PLUGIN_AUTH_LENENC_CLIENT_DATA |
  CLIENT.SESSION_TRACK |
  CLIENT.DEPRECATE_EOF;

/** SERVER_STATUS_AUTOCOMMIT: every statement stands alone. */
export const STATUS_AUTOCOMMIT = 0x0002;

/** utf8mb4_general_ci: the charset of every text column and of the connection. */
export const CHARSET_UTF8MB4 = 45;
/** `binary`: the charset MySQL gives numeric columns. */
export const CHARSET_BINARY = 63;

export const SERVER_VERSION = '5.7.0-CometQL-comet-chat';
export const DATABASE_NAME = 'CometQL_v1';
