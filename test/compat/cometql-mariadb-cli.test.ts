/** The `mariadb` command-line client (Debian's) against CometQL: batch output, errors, auth switch. */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { Browsers, request, run, startServer, type CometServerHandle } from './cometql-support.js';

describe('CometQL through the mariadb command-line client', () => {
  let server: CometServerHandle & { cometqlPort: number };
  const browsers = new Browsers();
  const mariadb = (sql: string, opts: { password?: string; database?: string; extra?: string[] } = {}) =>
    run('mariadb', [
      '-h127.0.0.1',
      `-P${server.cometqlPort}`,
      '-u1',
      `-p${opts.password ?? server.app1Secret}`,
      ...(opts.extra ?? []),
      opts.database ?? 'CometQL_v1',
      '-e',
      sql,
    ]);

  before(async () => {
    server = await startServer();
  });
  afterEach(() => browsers.closeAll());
  after(() => server.close());

  it('lists the tables and answers SELECTs in batch (tab-separated) form', async () => {
    const tables = await mariadb('SHOW TABLES');
    assert.equal(tables.code, 0, tables.stderr);
    assert.equal(
      tables.stdout,
      'Tables_in_CometQL_v1\npipes_messages\npipes\nusers_in_pipes\npipes_settings\nusers_auth\nusers_messages\nusers_time\nrevoked_tokens\n',
    );
    const info = await mariadb('SELECT DATABASE(), @@version, USER()');
    assert.equal(info.stdout, 'DATABASE()\t@@version\tUSER()\nCometQL_v1\t5.7.0-CometQL-comet-chat\t1@127.0.0.1\n');
  });

  it('publishes with INSERT to a subscribed socket and reads it back as history, UTF-8 intact', async () => {
    const b = await browsers.open(server.url);
    assert.equal((await request<{ error: string }>(b.socket, 'subscribe', { pipes: ['web_cli'] })).error, '');
    const res = await mariadb(
      `INSERT INTO pipes_messages (name, event, message) VALUES ('web_cli', 'say', '{"text":"Привет, \\\\"мир\\\\""}');` +
        "SELECT name, event, message, `index` FROM pipes_messages WHERE name = 'web_cli'",
    );
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, 'name\tevent\tmessage\tindex\nweb_cli\tsay\t{"text":"Привет, \\\\"мир\\\\""}\t0\n');
    const m = await b.message((x) => x.server_info.event === 'say');
    assert.deepEqual(m.data, { text: 'Привет, "мир"' });
  });

  it('registers a user key and reads it back, NULLs printed as NULL', async () => {
    const res = await mariadb(
      "INSERT INTO users_auth (id, hash) VALUES (5, 'abc+/='); SELECT * FROM users_auth WHERE id = 5; SELECT NULL AS nothing",
    );
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, 'id\thash\n5\tabc+/=\nnothing\nNULL\n');
  });

  it('prints MySQL errors and exits non-zero', async () => {
    const syntax = await mariadb("INSERT INTO users_auth (id, hash)VALUES (, 'x')");
    assert.equal(syntax.code, 1);
    assert.match(syntax.stderr, /\nERROR 1064 \(42000\) at line 1: You have an error in your SQL syntax/);
    const table = await mariadb('SELECT * FROM users WHERE id = 1');
    assert.match(table.stderr, /ERROR 1146 \(42S02\).*Table 'CometQL_v1.users' doesn't exist/);
    const where = await mariadb('SELECT * FROM users_time');
    assert.match(where.stderr, /ERROR 1105 \(HY000\).*needs WHERE id/);
  });

  it('refuses a wrong password (1045) and an unknown database (1049) without echoing the password', async () => {
    const denied = await mariadb('SELECT 1', { password: 'not-the-secret' });
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /ERROR 1045 \(28000\): Access denied for user '1'@'127.0.0.1' \(using password: YES\)/);
    assert.ok(!denied.stderr.includes('not-the-secret'));
    const noDb = await mariadb('SELECT 1', { database: 'information_schema' });
    assert.match(noDb.stderr, /ERROR 1049 \(42000\): Unknown database 'information_schema'/);
  });

  it('logs in when the client starts with caching_sha2_password (switched to native)', async () => {
    const plain = await mariadb('SELECT 1 AS ok', { extra: ['--default-auth=caching_sha2_password'] });
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(plain.stdout, 'ok\n1\n');
  });
});
