/**
 * The CometQL tables (CppComet's eight: pipes_messages, pipes, users_in_pipes, pipes_settings,
 * users_auth, users_messages, users_time, revoked_tokens) in one place: SHOW TABLES, column definitions of result sets
 * and the validation of every statement read them from here.
 */
import { DATABASE_NAME } from './capabilities.js';

export type ColumnType = 'string' | 'int';
export type TableStatement = 'select' | 'insert' | 'delete';

export interface ColumnDef {
  name: string;
  type: ColumnType;
  /** Whether INSERT takes this column, and whether it must be given. */
  insert?: 'required' | 'optional';
  /** False for write-only columns, which SELECT never returns. */
  selectable?: boolean;
}

export interface TableDef {
  name: string;
  /** Every SELECT and DELETE must give this column with `=` or `IN (…)`. */
  key: string;
  columns: readonly ColumnDef[];
  statements: readonly TableStatement[];
  /** Columns besides the key that DELETE may narrow by. */
  deleteFilters?: readonly string[];
  /** For a log: rows come oldest first by this column, and LIMIT keeps the newest. */
  newestBy?: string;
}

const TABLES: readonly TableDef[] = [
  {
    name: 'pipes_messages',
    key: 'name',
    columns: [
      { name: 'id', type: 'int' },
      { name: 'time', type: 'int' },
      { name: 'name', type: 'string', insert: 'required' },
      { name: 'index', type: 'int' },
      { name: 'event', type: 'string', insert: 'optional' },
      { name: 'message', type: 'string', insert: 'required' },
      { name: 'user_id', type: 'int' },
    ],
    statements: ['select', 'insert', 'delete'],
    deleteFilters: ['id'],
    newestBy: 'id',
  },
  {
    name: 'pipes',
    key: 'name',
    columns: [
      { name: 'name', type: 'string' },
      { name: 'users', type: 'int' },
    ],
    statements: ['select'],
  },
  {
    name: 'users_in_pipes',
    key: 'name',
    columns: [
      { name: 'name', type: 'string' },
      { name: 'user_id', type: 'int' },
      { name: 'user_name', type: 'string' },
    ],
    statements: ['select'],
  },
  {
    name: 'pipes_settings',
    key: 'name',
    columns: [
      { name: 'name', type: 'string', insert: 'required' },
      { name: 'length', type: 'int', insert: 'required' },
    ],
    statements: ['select', 'insert', 'delete'],
  },
  {
    name: 'users_auth',
    key: 'id',
    columns: [
      { name: 'id', type: 'int', insert: 'required' },
      { name: 'hash', type: 'string', insert: 'required' },
      { name: 'name', type: 'string', insert: 'optional', selectable: false },
    ],
    statements: ['select', 'insert', 'delete'],
  },
  {
    name: 'users_messages',
    key: 'id',
    columns: [
      { name: 'id', type: 'int', insert: 'required' },
      { name: 'index', type: 'int' },
      { name: 'event', type: 'string', insert: 'optional' },
      { name: 'message', type: 'string', insert: 'required' },
    ],
    statements: ['insert'],
  },
  {
    name: 'users_time',
    key: 'id',
    columns: [
      { name: 'id', type: 'int' },
      { name: 'time', type: 'int' },
    ],
    statements: ['select'],
  },
  {
    name: 'revoked_tokens',
    key: 'token',
    columns: [{ name: 'token', type: 'string', insert: 'required' }],
    statements: ['select', 'insert', 'delete'],
  },
];

const BY_NAME = new Map(TABLES.map((t) => [t.name, t]));

export const tableNames = (): string[] => TABLES.map((t) => t.name);

/** Table names match case-insensitively; the database, when given, must be CometQL's. */
export function findTable(name: string, database?: string): TableDef | undefined {
  if (database !== undefined && database.toLowerCase() !== DATABASE_NAME.toLowerCase()) return undefined;
  return BY_NAME.get(name.toLowerCase());
}

/** Column names match case-insensitively, as in MySQL. */
export function findColumn(table: TableDef, name: string): ColumnDef | undefined {
  const lower = name.toLowerCase();
  return table.columns.find((c) => c.name === lower);
}

export const selectableColumns = (table: TableDef): ColumnDef[] => table.columns.filter((c) => c.selectable !== false);
