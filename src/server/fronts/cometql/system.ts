/**
 * Answers for SELECTs without a table: the variables and functions client libraries ask
 * about on connect (`SELECT @@version_comment LIMIT 1`, `SELECT DATABASE()`, …).
 */
import { SERVER_VERSION } from './capabilities.js';
import { SqlError } from './errors.js';
import type { Expr } from './parser.js';
import type { CellValue } from './responses.js';

export interface SessionInfo {
  user: string;
  host: string;
  database: string | null;
  connectionId: number;
}

const MAX_ALLOWED_PACKET = 16 * 1024 * 1024;

const VARIABLES: Record<string, CellValue> = {
  version: SERVER_VERSION,
  version_comment: 'CometQL (comet-chat)',
  max_allowed_packet: MAX_ALLOWED_PACKET,
  autocommit: 1,
  auto_increment_increment: 1,
  character_set_client: 'utf8mb4',
  character_set_connection: 'utf8mb4',
  character_set_results: 'utf8mb4',
  character_set_server: 'utf8mb4',
  collation_connection: 'utf8mb4_general_ci',
  collation_server: 'utf8mb4_general_ci',
  init_connect: '',
  interactive_timeout: 28800,
  wait_timeout: 28800,
  net_write_timeout: 60,
  net_buffer_length: 16384,
  lower_case_table_names: 0,
  license: 'MIT',
  sql_mode: '',
  sql_select_limit: null,
  system_time_zone: 'UTC',
  time_zone: 'SYSTEM',
  tx_isolation: 'REPEATABLE-READ',
  transaction_isolation: 'REPEATABLE-READ',
  tx_read_only: 0,
  transaction_read_only: 0,
  performance_schema: 0,
  query_cache_size: 0,
  query_cache_type: 'OFF',
};

export function evaluate(expr: Expr, session: SessionInfo): CellValue {
  switch (expr.kind) {
    case 'literal':
      return expr.value;
    case 'column':
      throw new SqlError('badField', `Unknown column '${expr.name}' in 'field list'`);
    case 'sysvar':
      if (!(expr.name in VARIABLES))
        throw new SqlError('unknownSystemVariable', `Unknown system variable '${expr.name}'`);
      return VARIABLES[expr.name]!;
    case 'call':
      return call(expr.name, session);
  }
}

function call(name: string, session: SessionInfo): CellValue {
  switch (name) {
    case 'DATABASE':
    case 'SCHEMA':
      return session.database;
    case 'USER':
    case 'SESSION_USER':
    case 'SYSTEM_USER':
    case 'CURRENT_USER':
      return `${session.user}@${session.host}`;
    case 'VERSION':
      return SERVER_VERSION;
    case 'CONNECTION_ID':
      return session.connectionId;
    default:
      throw new SqlError('unsupported', `CometQL does not support the function ${name}()`);
  }
}
