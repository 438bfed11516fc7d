/**
 * Parser for the statements CometQL understands (CppComet's CometQL, docs/cometql.md) and the few that client libraries
 * send on connect. Broken SQL is a 1064 syntax error; valid SQL outside the subset is 1105.
 */
import { SqlError, syntaxError } from './errors.js';
import { tokenize, type Token } from './lexer.js';

export type Literal = string | number | null;

/** `column = value` or `column IN (values…)`. */
export interface Condition {
  column: string;
  values: Literal[];
}

export type Expr =
  | { kind: 'literal'; value: Literal }
  | { kind: 'column'; name: string }
  /** `@@[session.|global.|local.]name`, the name lower-cased without its scope. */
  | { kind: 'sysvar'; name: string }
  /** A call without arguments such as DATABASE(); the name upper-cased. */
  | { kind: 'call'; name: string };

export interface SelectItem {
  expr: Expr;
  /** The column title: the alias, else the expression as written (MySQL's rule). */
  label: string;
}

export interface TableRef {
  name: string;
  database?: string;
}

export type Statement =
  | { kind: 'select'; items: SelectItem[] | '*'; from?: TableRef; where: Condition[]; limit?: number }
  | { kind: 'insert'; table: TableRef; columns: string[]; rows: Literal[][] }
  | { kind: 'delete'; table: TableRef; where: Condition[] }
  | { kind: 'show'; what: 'tables' | 'databases' | 'warnings'; database?: string }
  | { kind: 'set' }
  | { kind: 'use'; database: string };

/** Words that end a clause, so they can not be bare column names or aliases. */
const RESERVED = new Set(
  'SELECT FROM WHERE AND OR NOT IN IS LIKE LIMIT OFFSET INSERT INTO VALUES VALUE DELETE SET SHOW USE NULL AS ORDER GROUP BY HAVING UNION JOIN INNER LEFT RIGHT CROSS NATURAL ON TRUE FALSE'.split(
    ' ',
  ),
);

/** Real SQL verbs that CometQL has no use for: refused as unsupported rather than as bad syntax. */
const UNSUPPORTED_VERBS = new Set(
  'UPDATE REPLACE CREATE DROP ALTER TRUNCATE RENAME BEGIN START COMMIT ROLLBACK SAVEPOINT LOCK UNLOCK GRANT REVOKE DESCRIBE DESC EXPLAIN CALL PREPARE EXECUTE DEALLOCATE HANDLER LOAD DO KILL FLUSH ANALYZE OPTIMIZE CHECK REPAIR'.split(
    ' ',
  ),
);

const JOIN_WORDS = new Set(['JOIN', 'INNER', 'LEFT', 'RIGHT', 'CROSS', 'NATURAL', 'STRAIGHT_JOIN']);

export function parse(sql: string): Statement {
  return new Parser(sql).statement();
}

class Parser {
  private readonly tokens: Token[];
  private i = 0;

  constructor(private readonly sql: string) {
    this.tokens = tokenize(sql);
  }

  statement(): Statement {
    const first = this.peek();
    if (first.type === 'end' || this.isPunct(';')) throw this.fail('empty query');
    if (first.type !== 'word') throw this.fail('expected a statement');
    const verb = first.value.toUpperCase();
    let stmt: Statement;
    switch (verb) {
      case 'SELECT':
        stmt = this.select();
        break;
      case 'INSERT':
        stmt = this.insert();
        break;
      case 'DELETE':
        stmt = this.delete();
        break;
      case 'SHOW':
        stmt = this.show();
        break;
      case 'SET':
        stmt = this.set();
        break;
      case 'USE':
        this.next();
        stmt = { kind: 'use', database: this.identifier('a database name') };
        break;
      default:
        if (UNSUPPORTED_VERBS.has(verb)) throw unsupported(`CometQL does not support ${verb} statements`);
        throw this.fail(`unknown statement '${first.value}'`);
    }
    if (this.isPunct(';')) this.next();
    if (this.peek().type !== 'end') {
      throw this.peekWasPunct(';')
        ? this.fail('one statement per query')
        : this.fail('unexpected text after the statement');
    }
    return stmt;
  }

  /* ---- statements ---- */

  private select(): Statement {
    this.next();
    let items: SelectItem[] | '*';
    if (this.isPunct('*')) {
      this.next();
      items = '*';
    } else {
      items = [this.selectItem()];
      while (this.isPunct(',')) {
        this.next();
        items.push(this.selectItem());
      }
    }
    let from: TableRef | undefined;
    let where: Condition[] = [];
    if (this.isWord('FROM')) {
      this.next();
      from = this.tableRef();
      this.skipTableAlias();
      if (this.isPunct(',') || JOIN_WORDS.has(this.peekWord()))
        throw unsupported('CometQL has no joins: select from one table');
      if (this.isWord('WHERE')) where = this.where();
    } else if (items === '*') {
      throw this.fail('SELECT * needs FROM');
    }
    this.refuseClauses();
    let limit: number | undefined;
    if (this.isWord('LIMIT')) limit = this.limit();
    const out: Statement = { kind: 'select', items, where };
    if (from) out.from = from;
    if (limit !== undefined) out.limit = limit;
    return out;
  }

  private insert(): Statement {
    this.next();
    if (this.isWord('IGNORE')) throw unsupported('CometQL does not support INSERT IGNORE');
    this.expectWord('INTO');
    const table = this.tableRef();
    if (!this.isPunct('(')) {
      if (this.isWord('VALUES') || this.isWord('VALUE'))
        throw unsupported('CometQL needs the column list: INSERT INTO table (columns) VALUES (...)');
      if (this.isWord('SET') || this.isWord('SELECT'))
        throw unsupported('CometQL takes only INSERT INTO table (columns) VALUES (...)');
      throw this.fail("expected '(' and the column list");
    }
    this.next();
    const columns = [this.identifier('a column name')];
    while (this.isPunct(',')) {
      this.next();
      columns.push(this.identifier('a column name'));
    }
    this.expectPunct(')');
    if (!this.isWord('VALUES') && !this.isWord('VALUE')) throw this.fail('expected VALUES');
    this.next();
    const rows = [this.literalList()];
    while (this.isPunct(',')) {
      this.next();
      rows.push(this.literalList());
    }
    if (this.isWord('ON')) throw unsupported('CometQL does not support ON DUPLICATE KEY UPDATE');
    return { kind: 'insert', table, columns, rows };
  }

  private delete(): Statement {
    this.next();
    this.expectWord('FROM');
    const table = this.tableRef();
    if (this.isPunct(',') || JOIN_WORDS.has(this.peekWord()) || this.isWord('USING')) {
      throw unsupported('CometQL has no joins: delete from one table');
    }
    const where = this.isWord('WHERE') ? this.where() : [];
    this.refuseClauses();
    if (this.isWord('LIMIT')) throw unsupported('CometQL does not support DELETE … LIMIT');
    return { kind: 'delete', table, where };
  }

  private show(): Statement {
    this.next();
    if (this.isWord('FULL')) this.next();
    const what = this.peekWord();
    if (what === 'TABLES') {
      this.next();
      if (this.isWord('FROM') || this.isWord('IN')) {
        this.next();
        return { kind: 'show', what: 'tables', database: this.identifier('a database name') };
      }
      if (this.isWord('LIKE') || this.isWord('WHERE')) throw unsupported('CometQL does not filter SHOW TABLES');
      return { kind: 'show', what: 'tables' };
    }
    if (what === 'DATABASES' || what === 'SCHEMAS') {
      this.next();
      if (this.isWord('LIKE') || this.isWord('WHERE')) throw unsupported('CometQL does not filter SHOW DATABASES');
      return { kind: 'show', what: 'databases' };
    }
    if (what === 'WARNINGS' || what === 'ERRORS') {
      this.next();
      return { kind: 'show', what: 'warnings' };
    }
    if (this.peek().type === 'word') throw unsupported(`CometQL does not support SHOW ${this.peek().value}`);
    throw this.fail('expected TABLES or DATABASES');
  }

  /** SET takes any assignment list and changes nothing; client libraries send it on connect. */
  private set(): Statement {
    this.next();
    if (this.peek().type === 'end' || this.isPunct(';')) throw this.fail('expected an assignment');
    while (this.peek().type !== 'end' && !this.isPunct(';')) this.next();
    return { kind: 'set' };
  }

  /* ---- clauses ---- */

  private where(): Condition[] {
    this.next();
    const conditions = [this.condition()];
    for (;;) {
      if (this.isWord('AND')) {
        this.next();
        conditions.push(this.condition());
      } else if (this.isWord('OR')) {
        throw unsupported('CometQL WHERE takes only conditions joined by AND');
      } else {
        return conditions;
      }
    }
  }

  private condition(): Condition {
    if (this.isPunct('('))
      throw unsupported('CometQL WHERE takes only column = value or column IN (…), without parentheses');
    const column = this.identifier('a column name');
    if (this.isPunct('=')) {
      this.next();
      return { column, values: [this.literal()] };
    }
    if (this.isWord('IN')) {
      this.next();
      return { column, values: this.literalList() };
    }
    const t = this.peek();
    if (t.type === 'op' || ['NOT', 'LIKE', 'IS', 'BETWEEN', 'REGEXP'].includes(this.peekWord())) {
      throw unsupported(`CometQL WHERE takes only = and IN, not ${t.value.toUpperCase()}`);
    }
    throw this.fail("expected '=' or IN");
  }

  private refuseClauses(): void {
    const w = this.peekWord();
    if (w === 'ORDER' || w === 'GROUP' || w === 'HAVING' || w === 'UNION')
      throw unsupported(`CometQL does not support ${w}`);
  }

  private limit(): number {
    this.next();
    const t = this.peek();
    if (t.type !== 'number' || !/^\d+$/.test(t.value)) throw this.fail('LIMIT takes a whole number');
    this.next();
    if (this.isPunct(',') || this.isWord('OFFSET')) throw unsupported('CometQL does not support LIMIT with an offset');
    return Number(t.value);
  }

  private selectItem(): SelectItem {
    const start = this.peek();
    const expr = this.expr();
    const last = this.tokens[this.i - 1];
    let label =
      expr.kind === 'column'
        ? expr.name
        : expr.kind === 'literal' && typeof expr.value === 'string'
          ? expr.value
          : this.sql.slice(start.pos, last.end);
    if (this.isWord('AS')) {
      this.next();
      label = this.alias();
    } else if (
      (this.peek().type === 'word' && !RESERVED.has(this.peekWord())) ||
      this.peek().type === 'quoted' ||
      this.peek().type === 'string'
    ) {
      label = this.alias();
    }
    return { expr, label };
  }

  private expr(): Expr {
    const t = this.peek();
    if (t.type === 'sysvar') {
      this.next();
      const name = t.value.toLowerCase().replace(/^(session|global|local)\./, '');
      return { kind: 'sysvar', name };
    }
    if (
      t.type === 'word' &&
      !RESERVED.has(t.value.toUpperCase()) &&
      this.tokens[this.i + 1]?.value === '(' &&
      this.tokens[this.i + 1]?.type === 'punct'
    ) {
      this.next();
      this.next();
      if (!this.isPunct(')')) throw unsupported(`CometQL does not support ${t.value.toUpperCase()}(…) with arguments`);
      this.next();
      return { kind: 'call', name: t.value.toUpperCase() };
    }
    if (t.type === 'quoted' || (t.type === 'word' && !RESERVED.has(t.value.toUpperCase()))) {
      this.next();
      return { kind: 'column', name: t.value };
    }
    return { kind: 'literal', value: this.literal() };
  }

  private alias(): string {
    const t = this.peek();
    if (t.type === 'word' || t.type === 'quoted' || t.type === 'string') {
      this.next();
      return t.value;
    }
    throw this.fail('expected an alias');
  }

  private literalList(): Literal[] {
    this.expectPunct('(');
    const values = [this.literal()];
    while (this.isPunct(',')) {
      this.next();
      values.push(this.literal());
    }
    this.expectPunct(')');
    return values;
  }

  private literal(): Literal {
    const t = this.peek();
    if (t.type === 'string') {
      this.next();
      return t.value;
    }
    if (t.type === 'punct' && (t.value === '-' || t.value === '+')) {
      const num = this.tokens[this.i + 1];
      if (num.type !== 'number') throw this.fail('expected a value');
      this.next();
      this.next();
      return t.value === '-' ? -Number(num.value) : Number(num.value);
    }
    if (t.type === 'number') {
      this.next();
      return Number(t.value);
    }
    if (t.type === 'word') {
      const w = t.value.toUpperCase();
      if (w === 'NULL' || w === 'TRUE' || w === 'FALSE') {
        this.next();
        return w === 'NULL' ? null : w === 'TRUE' ? 1 : 0;
      }
    }
    if (t.type === 'sysvar' || t.type === 'quoted' || (t.type === 'word' && !RESERVED.has(t.value.toUpperCase()))) {
      throw unsupported('CometQL takes only literal values here (strings, numbers, NULL)');
    }
    throw this.fail('expected a value');
  }

  private tableRef(): TableRef {
    const first = this.identifier('a table name');
    if (this.isPunct('.')) {
      this.next();
      return { database: first, name: this.identifier('a table name') };
    }
    return { name: first };
  }

  /** `FROM pipes AS p` / `FROM pipes p`: accepted and ignored (there is only one table). */
  private skipTableAlias(): void {
    if (this.isWord('AS')) {
      this.next();
      this.identifier('an alias');
    } else if (
      this.peek().type === 'quoted' ||
      (this.peek().type === 'word' && !RESERVED.has(this.peekWord()) && !JOIN_WORDS.has(this.peekWord()))
    ) {
      this.next();
    }
  }

  private identifier(what: string): string {
    const t = this.peek();
    if (t.type === 'quoted' || (t.type === 'word' && !RESERVED.has(t.value.toUpperCase()))) {
      this.next();
      return t.value;
    }
    throw this.fail(`expected ${what}`);
  }

  /* ---- token helpers ---- */

  private peek(): Token {
    return this.tokens[this.i];
  }

  private next(): Token {
    const t = this.tokens[this.i];
    if (t.type !== 'end') this.i++;
    return t;
  }

  private peekWord(): string {
    const t = this.peek();
    return t.type === 'word' ? t.value.toUpperCase() : '';
  }

  private isWord(word: string): boolean {
    return this.peekWord() === word;
  }

  private isPunct(p: string): boolean {
    const t = this.peek();
    return t.type === 'punct' && t.value === p;
  }

  private peekWasPunct(p: string): boolean {
    const t = this.tokens[this.i - 1];
    return t !== undefined && t.type === 'punct' && t.value === p;
  }

  private expectWord(word: string): void {
    if (!this.isWord(word)) throw this.fail(`expected ${word}`);
    this.next();
  }

  private expectPunct(p: string): void {
    if (!this.isPunct(p)) throw this.fail(`expected '${p}'`);
    this.next();
  }

  private fail(detail: string): SqlError {
    return syntaxError(detail, this.sql, this.peek().pos);
  }
}

function unsupported(message: string): SqlError {
  return new SqlError('unsupported', message);
}
