/**
 * Runs one parsed statement: checks it against the table registry, coerces values to column
 * types, and hands the work to the table's handler. Core refusals become MySQL errors.
 */
import type { BackendApi } from '../../core/api.js';
import { CoreError } from '../../core/errors.js';
import { DATABASE_NAME } from './capabilities.js';
import { SqlError } from './errors.js';
import { HANDLERS, type KeyValue, type Row, type TableContext } from './handlers.js';
import type { Condition, Literal, Statement, TableRef } from './parser.js';
import type { CellValue, OkInfo, ResultColumn } from './responses.js';
import { evaluate, type SessionInfo } from './system.js';
import {
  findColumn,
  findTable,
  selectableColumns,
  tableNames,
  type ColumnDef,
  type TableDef,
  type TableStatement,
} from './tables.js';

type SelectItems = Extract<Statement, { kind: 'select' }>['items'];

export type Outcome = { kind: 'ok'; ok: OkInfo } | { kind: 'rows'; columns: ResultColumn[]; rows: CellValue[][] };

export interface ExecContext extends SessionInfo {
  core: BackendApi;
  appId: string;
}

export async function execute(stmt: Statement, ctx: ExecContext): Promise<Outcome> {
  try {
    return await run(stmt, ctx);
  } catch (err) {
    if (err instanceof CoreError) {
      const kind =
        err.code === 'invalid' || err.code === 'invalid_pipe' || err.code === 'too_large'
          ? 'wrongValue'
          : 'unsupported';
      throw new SqlError(kind, err.message);
    }
    throw err;
  }
}

/** Checks a database name given by USE, COM_INIT_DB or the handshake. */
export function checkDatabase(name: string): string {
  if (name.toLowerCase() !== DATABASE_NAME.toLowerCase()) throw new SqlError('badDb', `Unknown database '${name}'`);
  return DATABASE_NAME;
}

async function run(stmt: Statement, ctx: ExecContext): Promise<Outcome> {
  switch (stmt.kind) {
    case 'set':
      return { kind: 'ok', ok: {} };
    case 'use':
      ctx.database = checkDatabase(stmt.database);
      return { kind: 'ok', ok: {} };
    case 'show':
      if (stmt.what === 'databases') return single('Database', [DATABASE_NAME]);
      if (stmt.what === 'warnings') return { kind: 'rows', columns: warningColumns, rows: [] };
      if (stmt.database !== undefined) checkDatabase(stmt.database);
      return single(`Tables_in_${DATABASE_NAME}`, tableNames());
    case 'select':
      return stmt.from
        ? selectFrom(stmt.from, stmt.items, stmt.where, stmt.limit, ctx)
        : selectValues(stmt.items, stmt.limit, ctx);
    case 'insert':
      return insert(stmt.table, stmt.columns, stmt.rows, ctx);
    case 'delete':
      return remove(stmt.table, stmt.where, ctx);
  }
}

const warningColumns: ResultColumn[] = [
  { name: 'Level', type: 'string' },
  { name: 'Code', type: 'int' },
  { name: 'Message', type: 'string' },
];

function single(title: string, values: string[]): Outcome {
  return { kind: 'rows', columns: [{ name: title, type: 'string' }], rows: values.map((v) => [v]) };
}

function selectValues(items: SelectItems, limit: number | undefined, ctx: ExecContext): Outcome {
  if (items === '*') throw new SqlError('unsupported', 'SELECT * needs a table');
  const row = items.map((item) => evaluate(item.expr, ctx));
  const columns = items.map((item, i): ResultColumn => {
    const v = row[i];
    return { name: item.label, type: typeof v === 'number' && Number.isInteger(v) ? 'int' : 'string' };
  });
  return { kind: 'rows', columns, rows: limit === 0 ? [] : [row] };
}

async function selectFrom(
  ref: TableRef,
  items: SelectItems,
  where: Condition[],
  limit: number | undefined,
  ctx: ExecContext,
): Promise<Outcome> {
  const table = resolve(ref, 'select');
  let picked: { col: ColumnDef; label: string }[];
  if (items === '*') {
    picked = selectableColumns(table).map((col) => ({ col, label: col.name }));
  } else {
    picked = items.map((item) => {
      if (item.expr.kind !== 'column')
        throw new SqlError('unsupported', `CometQL selects only columns of ${table.name}`);
      const col = findColumn(table, item.expr.name);
      if (!col) throw new SqlError('badField', `Unknown column '${item.expr.name}' in 'field list'`);
      if (col.selectable === false)
        throw new SqlError('unsupported', `Column '${col.name}' of ${table.name} can only be written`);
      return { col, label: item.label };
    });
  }
  const { keys, filters } = splitWhere(table, where, 'SELECT');
  const handler = HANDLERS[table.name];
  const hint = filters.size === 0 ? limit : undefined;
  let rows: Row[] = [];
  for (const key of keys) rows.push(...(await handler.select!(handlerContext(ctx), key, hint)));
  rows = rows.filter((row) => [...filters].every(([col, values]) => values.includes(row[col] ?? null)));
  const newestBy = table.newestBy;
  if (newestBy !== undefined) {
    if (keys.length > 1) rows.sort((a, b) => Number(a[newestBy]) - Number(b[newestBy]));
    if (limit !== undefined) rows = rows.slice(rows.length - Math.min(limit, rows.length));
  } else if (limit !== undefined) {
    rows = rows.slice(0, limit);
  }
  return {
    kind: 'rows',
    columns: picked.map(({ col, label }) => ({ name: label, type: col.type, table: table.name })),
    rows: rows.map((row) => picked.map(({ col }) => row[col.name] ?? null)),
  };
}

async function insert(ref: TableRef, columnNames: string[], rows: Literal[][], ctx: ExecContext): Promise<Outcome> {
  const table = resolve(ref, 'insert');
  const columns = columnNames.map((name) => {
    const col = findColumn(table, name);
    if (!col) throw new SqlError('badField', `Unknown column '${name}' in 'field list'`);
    if (!col.insert) throw new SqlError('unsupported', `Column '${col.name}' of ${table.name} is set by the server`);
    return col;
  });
  const seen = new Set<string>();
  for (const col of columns) {
    if (seen.has(col.name)) throw new SqlError('unsupported', `Column '${col.name}' given twice`);
    seen.add(col.name);
  }
  const missing = table.columns.find((c) => c.insert === 'required' && !seen.has(c.name));
  if (missing) throw new SqlError('unsupported', `INSERT INTO ${table.name} needs the column '${missing.name}'`);
  rows.forEach((row, i) => {
    if (row.length !== columns.length)
      throw new SqlError('wrongValueCount', `Column count doesn't match value count at row ${i + 1}`);
  });
  const records = rows.map((row) => {
    const record: Record<string, CellValue> = {};
    columns.forEach((col, i) => {
      const value = row[i]!;
      if (value === null) {
        if (col.insert === 'required') throw new SqlError('badNull', `Column '${col.name}' cannot be null`);
        return;
      }
      record[col.name] = coerce(col, value);
    });
    return record;
  });
  const handler = HANDLERS[table.name];
  // Row by row, in order: a failing row leaves the rows before it done (documented).
  const ok: OkInfo = {};
  let affectedRows = 0;
  for (const record of records) {
    const res = await handler.insert!(handlerContext(ctx), record);
    affectedRows++;
    if (res.insertId !== undefined) ok.insertId = res.insertId;
    if (res.note !== undefined) ok.info = res.note;
  }
  return { kind: 'ok', ok: { ...ok, affectedRows } };
}

async function remove(ref: TableRef, where: Condition[], ctx: ExecContext): Promise<Outcome> {
  const table = resolve(ref, 'delete');
  const { keys, filters } = splitWhere(table, where, 'DELETE');
  for (const col of filters.keys()) {
    if (!table.deleteFilters?.includes(col)) {
      throw new SqlError(
        'unsupported',
        `DELETE FROM ${table.name} takes only WHERE ${table.key} = … or ${table.key} IN (…)`,
      );
    }
  }
  const handler = HANDLERS[table.name];
  let affectedRows = 0;
  for (const key of keys) affectedRows += await handler.delete!(handlerContext(ctx), key, filters);
  return { kind: 'ok', ok: { affectedRows } };
}

function resolve(ref: TableRef, statement: TableStatement): TableDef {
  const table = findTable(ref.name, ref.database);
  if (!table) throw new SqlError('noSuchTable', `Table '${ref.database ?? DATABASE_NAME}.${ref.name}' doesn't exist`);
  if (!table.statements.includes(statement)) {
    const allowed = table.statements.map((s) => s.toUpperCase()).join(', ');
    throw new SqlError('unsupported', `${table.name} does not take ${statement.toUpperCase()} (it takes ${allowed})`);
  }
  return table;
}

/** Separates the key condition (required) from the other column filters; values coerced to column types. */
function splitWhere(
  table: TableDef,
  where: Condition[],
  verb: string,
): { keys: KeyValue[]; filters: Map<string, CellValue[]> } {
  const filters = new Map<string, CellValue[]>();
  for (const cond of where) {
    const col = findColumn(table, cond.column);
    if (!col || col.selectable === false)
      throw new SqlError('badField', `Unknown column '${cond.column}' in 'where clause'`);
    if (filters.has(col.name))
      throw new SqlError('unsupported', `CometQL takes one condition per column ('${col.name}' is given twice)`);
    filters.set(
      col.name,
      cond.values.filter((v): v is string | number => v !== null).map((v) => coerce(col, v)),
    );
  }
  const keys = filters.get(table.key);
  if (!keys) {
    throw new SqlError('unsupported', `${verb} on ${table.name} needs WHERE ${table.key} = … or ${table.key} IN (…)`);
  }
  filters.delete(table.key);
  return { keys: [...new Set(keys as KeyValue[])], filters };
}

function coerce(col: ColumnDef, value: string | number): string | number {
  if (col.type === 'string') return String(value);
  const n = typeof value === 'number' ? value : /^\s*-?\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n))
    throw new SqlError('wrongValue', `Incorrect integer value: '${value}' for column '${col.name}'`);
  return n;
}

function handlerContext(ctx: ExecContext): TableContext {
  return { core: ctx.core, appId: ctx.appId };
}
