/**
 * Every CometQL statement docs/cometql.md lists, through the mysql2 client against a real server, checked
 * against what real socket.io-client connections see: one core, two fronts.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import mysql, { type Connection, type ResultSetHeader, type RowDataPacket } from 'mysql2/promise';
import type { DeleteNotice } from '../../src/protocol/wire.js';
import { Browsers, request, startServer, type CometServerHandle } from './cometql-support.js';

describe('CometQL through mysql2', () => {
  let server: CometServerHandle & { cometqlPort: number };
  let db: Connection;
  const browsers = new Browsers();

  const rows = async (sql: string): Promise<Record<string, unknown>[]> => (await db.query<RowDataPacket[]>(sql))[0];
  const exec = async (sql: string): Promise<ResultSetHeader> => (await db.query<ResultSetHeader>(sql))[0];
  const refused = async (sql: string): Promise<{ errno: number; sqlState: string; message: string }> => {
    try {
      await db.query(sql);
    } catch (err) {
      return err as { errno: number; sqlState: string; message: string };
    }
    assert.fail(`expected ${sql} to fail`);
  };
  const subscribed = async (auth: Record<string, unknown>, ...pipes: string[]) => {
    const b = await browsers.open(server.url, auth);
    const res = await request<{ error: string }>(b.socket, 'subscribe', { pipes });
    assert.equal(res.error, '');
    return b;
  };

  before(async () => {
    server = await startServer();
    db = await mysql.createConnection({
      host: '127.0.0.1',
      port: server.cometqlPort,
      user: '1',
      password: server.app1Secret,
      database: 'CometQL_v1',
    });
  });
  afterEach(() => browsers.closeAll());
  after(async () => {
    await db.end();
    await server.close();
  });

  it('answers what client libraries ask on connect', async () => {
    assert.deepEqual(await rows('SELECT @@version_comment LIMIT 1'), [{ '@@version_comment': 'CometQL (comet-chat)' }]);
    assert.deepEqual(await rows('SELECT DATABASE()'), [{ 'DATABASE()': 'CometQL_v1' }]);
    assert.deepEqual(await rows('select @@session.auto_increment_increment AS inc, @@max_allowed_packet, 1'), [
      { inc: 1, '@@max_allowed_packet': 16777216, '1': 1 },
    ]);
    assert.equal((await exec("SET NAMES utf8mb4, sql_mode = ''")).affectedRows, 0);
    assert.equal((await exec('USE CometQL_v1;')).affectedRows, 0);
    assert.deepEqual(await rows('SHOW DATABASES'), [{ Database: 'CometQL_v1' }]);
    assert.deepEqual(
      (await rows('SHOW TABLES')).map((r) => r.Tables_in_CometQL_v1),
      [
        'pipes_messages',
        'pipes',
        'users_in_pipes',
        'pipes_settings',
        'users_auth',
        'users_messages',
        'users_time',
        'revoked_tokens',
      ],
    );
    assert.equal((await refused('SELECT @@no_such_variable')).errno, 1193);
    assert.equal((await refused('USE mysql')).errno, 1049);
  });

  it('pipes_messages: INSERT publishes (JSON parsed, else the text), the marker is the insert id', async () => {
    const b = await subscribed({}, 'web_cql');
    const json = mysql.escape(JSON.stringify({ text: 'it\'s "quoted"\n\\' }));
    const res = await exec(`INSERT INTO pipes_messages (name, event, message) VALUES ('web_cql', 'chat', ${json})`);
    assert.equal(res.affectedRows, 1);
    assert.equal(res.info, 'number_messages: 1');
    const m = await b.message((x) => x.server_info.event === 'chat');
    assert.deepEqual(m.data, { text: 'it\'s "quoted"\n\\' });
    assert.equal(m.server_info.pipe, 'web_cql');
    assert.equal(m.server_info.user_id, 0);
    assert.equal(m.server_info.marker, res.insertId);

    await exec("INSERT INTO pipes_messages (name, message) VALUES ('web_cql', 'plain text'), ('web_cql', 42)");
    assert.equal((await b.message((x) => x.data === 'plain text')).server_info.event, 'undefined');
    await b.message((x) => x.data === 42);
  });

  it('pipes_messages: SELECT gives history oldest first; LIMIT keeps the newest; DELETE removes by id or clears', async () => {
    for (const n of [1, 2, 3])
      await exec(`INSERT INTO pipes_messages (name, event, message) VALUES ('web_hist', 'e${n}', '{"n":${n}}')`);
    const all = await rows("SELECT * FROM pipes_messages WHERE name = 'web_hist'");
    assert.deepEqual(
      all.map((r) => [r.name, r.event, r.message, r.index, r.user_id]),
      [
        ['web_hist', 'e1', '{"n":1}', 2, 0],
        ['web_hist', 'e2', '{"n":2}', 1, 0],
        ['web_hist', 'e3', '{"n":3}', 0, 0],
      ],
    );
    assert.deepEqual(Object.keys(all[0]), ['id', 'time', 'name', 'index', 'event', 'message', 'user_id']);
    assert.ok(all[0].id < all[1].id && all[1].id < all[2].id);
    assert.ok(Number.isInteger(all[0].time) && all[0].time > 1_600_000_000, 'unix seconds');
    assert.deepEqual(
      (await rows("SELECT event FROM pipes_messages WHERE name = 'web_hist' LIMIT 1")).map((r) => r.event),
      ['e3'],
    );
    assert.deepEqual(
      (
        await rows(
          `SELECT message FROM pipes_messages WHERE name = 'web_hist' AND id IN (${String(all[0].id)}, ${String(all[2].id)})`,
        )
      ).map((r) => r.message),
      ['{"n":1}', '{"n":3}'],
    );

    await exec("INSERT INTO pipes_messages (name, event, message) VALUES ('web_hist2', 'other', '0')");
    assert.deepEqual(
      (await rows("SELECT name, event FROM pipes_messages WHERE name IN ('web_hist2', 'web_hist') LIMIT 2")).map(
        (r) => r.event,
      ),
      ['e3', 'other'],
      'several pipes: one log ordered by marker, LIMIT keeps the newest',
    );

    const b = await subscribed({}, 'web_hist');
    const deleted = new Promise<DeleteNotice>((resolve) => b.socket.once('delete', resolve));
    assert.equal(
      (await exec(`DELETE FROM pipes_messages WHERE name = 'web_hist' AND id = ${String(all[1].id)}`)).affectedRows,
      1,
    );
    assert.deepEqual(await deleted, { pipe: 'web_hist', marker: all[1].id });
    assert.deepEqual(
      (await rows("SELECT event FROM pipes_messages WHERE name = 'web_hist'")).map((r) => r.event),
      ['e1', 'e3'],
    );

    assert.equal((await exec("DELETE FROM pipes_messages WHERE name = 'web_hist'")).affectedRows, 2);
    assert.deepEqual(await rows("SELECT * FROM pipes_messages WHERE name = 'web_hist'"), []);
  });

  it('users_auth: INSERT registers a key that authorizes a socket; SELECT reads it; DELETE disconnects the user', async () => {
    assert.equal((await exec("INSERT INTO users_auth (id, hash, name) VALUES (7, 'key7', 'Seven')")).affectedRows, 1);
    assert.deepEqual(await rows('SELECT * FROM users_auth WHERE id IN (7, 8)'), [{ id: 7, hash: 'key7' }]);
    const user = await browsers.open(server.url, { user_id: 7, user_key: 'key7' });
    assert.equal(user.auth.authorized, true);
    assert.equal(user.auth.user_id, 7);
    const wrong = await browsers.open(server.url, { user_id: 7, user_key: 'nope' });
    assert.equal(wrong.auth.authorized, false);

    const gone = new Promise<string>((resolve) => user.socket.once('disconnect', resolve));
    assert.equal((await exec('DELETE FROM users_auth WHERE id = 7')).affectedRows, 1);
    await gone;
    assert.equal(wrong.socket.connected, true, 'only that user is disconnected');
    assert.deepEqual(await rows('SELECT * FROM users_auth WHERE id = 7'), []);
    const again = await browsers.open(server.url, { user_id: 7, user_key: 'key7' });
    assert.equal(again.auth.authorized, false);
  });

  it('pipes and users_in_pipes: subscriber count and presence', async () => {
    await exec("INSERT INTO users_auth (id, hash, name) VALUES (11, 'k11', 'Eleven')");
    await subscribed({ user_id: 11, user_key: 'k11' }, 'web_room');
    await subscribed({}, 'web_room', 'web_other');
    assert.deepEqual(await rows("SELECT * FROM pipes WHERE name IN ('web_room', 'web_other', 'web_empty')"), [
      { name: 'web_room', users: 2 },
      { name: 'web_other', users: 1 },
      { name: 'web_empty', users: 0 },
    ]);
    const present = await rows("SELECT user_id, user_name FROM users_in_pipes WHERE name = 'web_room'");
    assert.deepEqual(present.map((r) => [r.user_id, r.user_name]).sort(), [
      [0, null],
      [11, 'Eleven'],
    ]);
    assert.deepEqual(await rows("SELECT user_id FROM users_in_pipes WHERE name = 'web_room' AND user_id = 11"), [
      { user_id: 11 },
    ]);
  });

  it('pipes_settings: INSERT sets the history length, SELECT reads it, DELETE resets it and clears history', async () => {
    assert.deepEqual(await rows("SELECT * FROM pipes_settings WHERE name = 'web_set'"), [
      { name: 'web_set', length: 100 },
    ]);
    await exec("INSERT INTO pipes_settings (name, length) VALUES ('web_set', 2)");
    assert.deepEqual(await rows("SELECT length FROM pipes_settings WHERE name = 'web_set'"), [{ length: 2 }]);
    for (const n of [1, 2, 3]) await exec(`INSERT INTO pipes_messages (name, message) VALUES ('web_set', '${n}')`);
    assert.deepEqual(
      (await rows("SELECT message FROM pipes_messages WHERE name = 'web_set'")).map((r) => r.message),
      ['2', '3'],
    );
    await exec("INSERT INTO pipes_settings (name, length) VALUES ('web_set', 5)");
    assert.deepEqual(await rows("SELECT length FROM pipes_settings WHERE name = 'web_set'"), [{ length: 5 }]);
    assert.equal((await exec("DELETE FROM pipes_settings WHERE name = 'web_set'")).affectedRows, 1);
    assert.deepEqual(await rows("SELECT length FROM pipes_settings WHERE name = 'web_set'"), [{ length: 100 }]);
    assert.deepEqual(await rows("SELECT * FROM pipes_messages WHERE name = 'web_set'"), []);
  });

  it('users_messages: INSERT reaches every connection of an online user, and waits for an offline one', async () => {
    await exec("INSERT INTO users_auth (id, hash) VALUES (21, 'k21'), (22, 'k22')");
    const online = await browsers.open(server.url, { user_id: 21, user_key: 'k21' });
    const res = await exec(`INSERT INTO users_messages (id, event, message) VALUES (21, 'note', '{"hi":1}')`);
    assert.equal(res.info, 'delivered: 1');
    const m = await online.message((x) => x.server_info.pipe === 'msg');
    assert.deepEqual(m.data, { hi: 1 });
    assert.equal(m.server_info.event, 'note');

    assert.equal((await exec(`INSERT INTO users_messages (id, message) VALUES (22, 'later')`)).info, 'queued');
    const late = await browsers.open(server.url, { user_id: 22, user_key: 'k22' });
    assert.equal((await late.message((x) => x.server_info.pipe === 'msg')).data, 'later');
    assert.equal((await refused('SELECT * FROM users_messages WHERE id = 22')).errno, 1105);
  });

  it('users_time: 0 while online, unix time after leaving, -1 when never seen', async () => {
    await exec("INSERT INTO users_auth (id, hash) VALUES (31, 'k31')");
    const b = await browsers.open(server.url, { user_id: 31, user_key: 'k31' });
    assert.deepEqual(await rows('SELECT * FROM users_time WHERE id IN (31, 32)'), [
      { id: 31, time: 0 },
      { id: 32, time: -1 },
    ]);
    b.socket.disconnect();
    let time = 0;
    while (time === 0) time = (await rows('SELECT time FROM users_time WHERE id = 31'))[0].time;
    assert.ok(time > 1_600_000_000);
  });

  it('revoked_tokens: INSERT revokes a signed token, SELECT lists it, DELETE lets it in again', async () => {
    const { token } = await server.core.issueToken('1', { user_id: 41 });
    assert.equal((await browsers.open(server.url, { token })).auth.authorized, true);
    await exec(`INSERT INTO revoked_tokens (token) VALUES ('${token}')`);
    assert.deepEqual(await rows(`SELECT * FROM revoked_tokens WHERE token = '${token}'`), [{ token }]);
    const refusedBrowser = await browsers.open(server.url, { token });
    assert.equal(refusedBrowser.auth.authorized, false);
    assert.equal(refusedBrowser.auth.reason, 'revoked_token');
    assert.equal((await exec(`DELETE FROM revoked_tokens WHERE token = '${token}'`)).affectedRows, 1);
    assert.deepEqual(await rows(`SELECT * FROM revoked_tokens WHERE token = '${token}'`), []);
    assert.equal((await browsers.open(server.url, { token })).auth.authorized, true);
  });

  it('answers mistakes with MySQL errors that say what is wrong', async () => {
    const cases: [string, number, string, RegExp][] = [
      ['SELECT * FROM nope WHERE a = 1', 1146, '42S02', /Table 'CometQL_v1.nope' doesn't exist/],
      ["INSERT INTO users_auth (id, hash)VALUES (, 'abc')", 1064, '42000', /SQL syntax.*near ', 'abc'\)'/],
      ['SELECT * FROM pipes_messages', 1105, 'HY000', /needs WHERE name = … or name IN/],
      ['DELETE FROM users_auth', 1105, 'HY000', /needs WHERE id = … or id IN/],
      ["DELETE FROM users_auth WHERE id = 1 AND hash = 'x'", 1105, 'HY000', /takes only WHERE id/],
      ["SELECT nope FROM pipes WHERE name = 'web_a'", 1054, '42S22', /Unknown column 'nope'/],
      ["INSERT INTO pipes (name, users) VALUES ('web_a', 1)", 1105, 'HY000', /pipes does not take INSERT/],
      [
        "INSERT INTO pipes_messages (name, id, message) VALUES ('web_a', 5, 'x')",
        1105,
        'HY000',
        /'id' of pipes_messages is set by the server/,
      ],
      ["INSERT INTO pipes_messages (name, event) VALUES ('web_a', 'x')", 1105, 'HY000', /needs the column 'message'/],
      ['INSERT INTO users_auth (id, hash) VALUES (1, NULL)', 1048, '23000', /'hash' cannot be null/],
      ['INSERT INTO users_auth (id, hash) VALUES (1)', 1136, '21S01', /Column count/],
      ["INSERT INTO users_auth (id, hash) VALUES ('one', 'k')", 1366, 'HY000', /Incorrect integer value: 'one'/],
      ["INSERT INTO pipes_messages (name, message) VALUES ('a b', 'x')", 1366, 'HY000', /./],
      ["INSERT INTO users_auth (id, hash) VALUES (1, 'not a valid key!')", 1366, 'HY000', /./],
      ["SELECT * FROM pipes WHERE name = 'a' OR name = 'b'", 1105, 'HY000', /AND/],
    ];
    for (const [sql, errno, state, message] of cases) {
      const err = await refused(sql);
      assert.equal(err.errno, errno, sql);
      assert.equal(err.sqlState, state, sql);
      assert.match(err.message, message, sql);
    }
    assert.deepEqual(await rows('SELECT 1 AS still_alive'), [{ still_alive: 1 }]);
  });

  it('refuses a wrong password with 1045 access denied', async () => {
    await assert.rejects(
      mysql.createConnection({
        host: '127.0.0.1',
        port: server.cometqlPort,
        user: '1',
        password: 'wrong',
        database: 'CometQL_v1',
      }),
      (err: { errno: number; sqlState: string; message: string }) =>
        err.errno === 1045 &&
        err.sqlState === '28000' &&
        /Access denied for user '1'/.test(err.message) &&
        !err.message.includes('wrong'),
    );
    await assert.rejects(
      mysql.createConnection({
        host: '127.0.0.1',
        port: server.cometqlPort,
        user: '1',
        password: server.app1Secret,
        database: 'other',
      }),
      (err: { errno: number }) => err.errno === 1049,
    );
  });
});
