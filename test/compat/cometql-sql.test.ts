/** The CometQL lexer and parser: the SQL subset CometQL takes (docs/cometql.md), what PHP's escaping produces, and clean errors. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SqlError } from '../../src/server/fronts/cometql/errors.js';
import { tokenize } from '../../src/server/fronts/cometql/lexer.js';
import { HANDLERS } from '../../src/server/fronts/cometql/handlers.js';
import { parse } from '../../src/server/fronts/cometql/parser.js';
import { findColumn, findTable, tableNames } from '../../src/server/fronts/cometql/tables.js';

function sqlError(sql: string): SqlError {
  try {
    parse(sql);
  } catch (err) {
    assert.ok(err instanceof SqlError, `expected an SqlError, got ${String(err)}`);
    return err;
  }
  assert.fail(`expected ${sql} to be refused`);
}

describe('CometQL lexer', () => {
  it('reads every escape mysqli_real_escape_string writes, and doubled quotes', () => {
    const [t] = tokenize(String.raw`'a\0b\nc\rd\\e\'f\"g\Zh''i'`);
    assert.equal(t.type, 'string');
    assert.equal(t.value, "a\0b\nc\rd\\e'f\"g\x1ah'i");
  });

  it('takes double-quoted strings and keeps \\% and \\_ as MySQL does', () => {
    const [t] = tokenize(String.raw`"x\%y\_z""q"`);
    assert.equal(t.value, 'x\\%y\\_z"q');
  });

  it('reads backtick identifiers, @@variables, numbers and skips comments', () => {
    const tokens = tokenize('SELECT `in``dex`, @@session.autocommit, -1.5e3 /* c */ # line\n-- x\n;');
    assert.deepEqual(
      tokens.map((t) => [t.type, t.value]),
      [
        ['word', 'SELECT'],
        ['quoted', 'in`dex'],
        ['punct', ','],
        ['sysvar', 'session.autocommit'],
        ['punct', ','],
        ['punct', '-'],
        ['number', '1.5e3'],
        ['punct', ';'],
        ['end', ''],
      ],
    );
  });

  it('refuses an unterminated string with a 1064 syntax error', () => {
    const err = sqlError("INSERT INTO users_auth (id, hash) VALUES (1, 'abc)");
    assert.equal(err.errno, 1064);
    assert.equal(err.sqlState, '42000');
  });
});

describe('CometQL parser', () => {
  it('parses the seed INSERT exactly as PHP sends it (no space before VALUES, escaped JSON)', () => {
    const json = JSON.stringify({ name: 'Виктор' }).replace(/\\/g, '\\\\').replace(/"/g, '\\"');
    const stmt = parse(`INSERT INTO pipes_messages (name, event, message)VALUES('loginPipe', 'userLogin', '${json}')`);
    assert.deepEqual(stmt, {
      kind: 'insert',
      table: { name: 'pipes_messages' },
      columns: ['name', 'event', 'message'],
      rows: [['loginPipe', 'userLogin', '{"name":"Виктор"}']],
    });
  });

  it('parses multi-row INSERT, NULL, negative numbers and a trailing semicolon', () => {
    const stmt = parse('insert into `users_auth` (`id`, hash) values (1, "a"), (-2, NULL);');
    assert.deepEqual(stmt, {
      kind: 'insert',
      table: { name: 'users_auth' },
      columns: ['id', 'hash'],
      rows: [
        [1, 'a'],
        [-2, null],
      ],
    });
  });

  it('answers the seed defect VALUES (, …) with a clean 1064 that quotes where it stopped', () => {
    const err = sqlError("INSERT INTO users_auth (id, hash)VALUES (, 'abc')");
    assert.equal(err.errno, 1064);
    assert.match(err.message, /SQL syntax/);
    assert.match(err.message, /near ', 'abc'\)' at line 1/);
  });

  it('parses SELECT with *, columns, aliases, = and IN joined by AND, LIMIT', () => {
    assert.deepEqual(parse("SELECT * FROM CometQL_v1.pipes_messages WHERE name = 'web_a' AND id IN (1, 2) LIMIT 5"), {
      kind: 'select',
      items: '*',
      from: { database: 'CometQL_v1', name: 'pipes_messages' },
      where: [
        { column: 'name', values: ['web_a'] },
        { column: 'id', values: [1, 2] },
      ],
      limit: 5,
    });
    const stmt = parse('select name, users AS n from pipes where name in ("a1a", "b2b")');
    assert.equal(stmt.kind, 'select');
    assert.deepEqual(stmt.kind === 'select' && stmt.items, [
      { expr: { kind: 'column', name: 'name' }, label: 'name' },
      { expr: { kind: 'column', name: 'users' }, label: 'n' },
    ]);
  });

  it('labels table-less SELECT columns as written, as MySQL does', () => {
    const stmt = parse('SELECT @@version_comment LIMIT 1');
    assert.deepEqual(stmt, {
      kind: 'select',
      items: [{ expr: { kind: 'sysvar', name: 'version_comment' }, label: '@@version_comment' }],
      where: [],
      limit: 1,
    });
    const db = parse('select database(), @@GLOBAL.max_allowed_packet x');
    assert.deepEqual(db.kind === 'select' && db.items, [
      { expr: { kind: 'call', name: 'DATABASE' }, label: 'database()' },
      { expr: { kind: 'sysvar', name: 'max_allowed_packet' }, label: 'x' },
    ]);
  });

  it('parses DELETE, SHOW, SET and USE', () => {
    assert.deepEqual(parse('DELETE FROM users_auth WHERE id = 3'), {
      kind: 'delete',
      table: { name: 'users_auth' },
      where: [{ column: 'id', values: [3] }],
    });
    assert.deepEqual(parse('show tables'), { kind: 'show', what: 'tables' });
    assert.deepEqual(parse('SHOW FULL TABLES FROM CometQL_v1'), {
      kind: 'show',
      what: 'tables',
      database: 'CometQL_v1',
    });
    assert.deepEqual(parse('SHOW DATABASES'), { kind: 'show', what: 'databases' });
    assert.deepEqual(parse("SET NAMES utf8mb4 COLLATE 'utf8mb4_general_ci'"), { kind: 'set' });
    assert.deepEqual(parse('USE `CometQL_v1`'), { kind: 'use', database: 'CometQL_v1' });
  });

  it('gives 1064 for broken SQL', () => {
    for (const sql of [
      '',
      'SELEC * FROM pipes',
      'SELECT * FROM',
      "INSERT INTO pipes_messages (name VALUES ('a')",
      'SELECT 1; SELECT 2',
      'DELETE users_auth WHERE id = 1',
      'SELECT * FROM pipes WHERE name',
      'SELECT FROM pipes',
      'SELECT * FROM pipes WHERE name = AND',
    ]) {
      assert.equal(sqlError(sql).errno, 1064, sql);
    }
  });

  it('gives 1105 for valid SQL outside the subset, saying what is missing', () => {
    const cases: [string, RegExp][] = [
      ["SELECT * FROM pipes p JOIN users_in_pipes u WHERE name = 'a'", /no joins/],
      ['SELECT * FROM pipes, users_time', /no joins/],
      ["SELECT * FROM pipes WHERE name = 'a' OR name = 'b'", /AND/],
      ['SELECT * FROM users_time WHERE id > 3', /only = and IN/],
      ["SELECT * FROM pipes_messages WHERE name = 'a' ORDER BY id", /ORDER/],
      ['UPDATE users_auth SET hash = 1', /UPDATE/],
      ['INSERT INTO users_auth VALUES (1, 2)', /column list/],
      ["SELECT * FROM pipes_messages WHERE name = 'a' LIMIT 1, 2", /offset/],
    ];
    for (const [sql, message] of cases) {
      const err = sqlError(sql);
      assert.equal(err.errno, 1105, sql);
      assert.match(err.message, message, sql);
    }
  });
});

describe('CometQL table registry', () => {
  it('holds the eight CppComet tables, each statement backed by a handler', () => {
    assert.deepEqual(tableNames().sort(), [
      'pipes',
      'pipes_messages',
      'pipes_settings',
      'revoked_tokens',
      'users_auth',
      'users_in_pipes',
      'users_messages',
      'users_time',
    ]);
    assert.deepEqual(Object.keys(HANDLERS).sort(), tableNames().sort());
    for (const name of tableNames()) {
      const table = findTable(name)!;
      assert.ok(findColumn(table, table.key), `${name} has its key column`);
      for (const statement of ['select', 'insert', 'delete'] as const) {
        assert.equal(
          typeof HANDLERS[name][statement] === 'function',
          table.statements.includes(statement),
          `${name} ${statement}`,
        );
      }
    }
  });

  it('matches names case-insensitively and only in CometQL_v1', () => {
    assert.equal(findTable('USERS_AUTH', 'cometql_v1')?.name, 'users_auth');
    assert.equal(findTable('users_auth', 'mysql'), undefined);
    assert.equal(findColumn(findTable('pipes')!, 'Users')?.name, 'users');
  });
});

describe('CometQL parser on arbitrary input', () => {
  it('either parses or throws an SqlError, never anything else', () => {
    const pieces = [
      'SELECT',
      'INSERT',
      'INTO',
      'VALUES',
      'FROM',
      'WHERE',
      'IN',
      'AND',
      'LIMIT',
      'SET',
      'SHOW',
      '*',
      '(',
      ')',
      ',',
      ';',
      '=',
      "'",
      '"',
      '`',
      '\\',
      '@@',
      '-',
      '.',
      '1',
      'x',
      'pipes',
      '/*',
      '#',
      '\n',
      ' ',
      'é',
      '\0',
    ];
    let seed = 42;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let i = 0; i < 3000; i++) {
      let sql = '';
      for (let j = random(14); j >= 0; j--) sql += pieces[random(pieces.length)] + (random(2) ? ' ' : '');
      try {
        parse(sql);
      } catch (err) {
        assert.ok(err instanceof SqlError, `${JSON.stringify(sql)} threw ${String(err)}`);
      }
    }
  });
});
