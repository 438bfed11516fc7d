/**
 * The seed's authChat.php backend (test/compat/fixtures/authChat.php: the article's code with
 * only the connection line and the documented id fix changed) run by php-cli with mysqli
 * against CometQL, checked by socket.io-client connections.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, afterEach, before, describe, it } from 'node:test';
import { Browsers, request, run, startServer, type Browser, type CometServerHandle } from './cometql-support.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const AUTH_CHAT = join(FIXTURES, 'authChat.php');
const RUNNER = join(FIXTURES, 'run-backend.php');
const FIXED_LINE = '$users[$_GET["login"]]["id"].", \'';
const SEED_LINE = '$users[(int)$_GET["login"]]["id"].", \'';

describe('the seed authChat.php backend through php-cli mysqli', () => {
  let server: CometServerHandle & { cometqlPort: number };
  let work: string;
  const browsers = new Browsers();
  const php = (script: string, session: string, query: string) =>
    run('php', [RUNNER, script, session, query], {
      COMETQL_HOST: '127.0.0.1',
      COMETQL_PORT: String(server.cometqlPort),
      COMETQL_SECRET: server.app1Secret,
      PHP_SESSION_DIR: work,
    });
  const watchLoginPipe = async (): Promise<Browser> => {
    const b = await browsers.open(server.url);
    assert.equal((await request<{ error: string }>(b.socket, 'subscribe', { pipes: ['loginPipe'] })).error, '');
    return b;
  };

  before(async () => {
    server = await startServer();
    work = mkdtempSync(join(tmpdir(), 'cometql-php-'));
  });
  afterEach(() => browsers.closeAll());
  after(async () => {
    await server.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('logs victor in: userLogin reaches loginPipe and the registered key authorizes a socket', async () => {
    const watcher = await watchLoginPipe();
    const res = await php(AUTH_CHAT, 'victor-session', 'login=victor&pass=qwerty');
    assert.equal(res.code, 0, res.stderr);
    const hash = /<pre>([0-9a-f]{32})\n<\/pre>/.exec(res.stdout)?.[1];
    assert.ok(hash, `the page shows the user key: ${res.stdout}`);

    const login = await watcher.message((m) => m.server_info.event === 'userLogin');
    assert.deepEqual(login.data, { name: 'Виктор' });
    assert.equal(login.server_info.pipe, 'loginPipe');
    assert.equal(login.server_info.user_id, 0);

    const victor = await browsers.open(server.url, { user_id: 1, user_key: hash });
    assert.deepEqual([victor.auth.authorized, victor.auth.user_id], [true, 1]);
    const impostor = await browsers.open(server.url, { user_id: 2, user_key: hash });
    assert.equal(impostor.auth.authorized, false, "the key is only victor's");

    const bye = await php(AUTH_CHAT, 'victor-session', 'exit');
    assert.equal(bye.code, 0, bye.stderr);
    const exit = await watcher.message((m) => m.server_info.event === 'userExit');
    assert.deepEqual(exit.data, { name: 'Виктор' });
  });

  it('refuses a wrong password without touching the comet server', async () => {
    const watcher = await watchLoginPipe();
    const res = await php(AUTH_CHAT, 'bad-session', 'login=olga&pass=nope');
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /Пароль не верный/);
    await php(AUTH_CHAT, 'kate-session', 'login=kate&pass=qwerty');
    const first = await watcher.message((m) => m.server_info.event === 'userLogin');
    assert.deepEqual(first.data, { name: 'Катя' }, 'olga never announced');
  });

  it('the unfixed seed line sends VALUES (, …) and PHP 8 mysqli throws a clean syntax error', async () => {
    const source = readFileSync(AUTH_CHAT, 'utf8');
    assert.equal(source.split(FIXED_LINE).length, 2, 'the fixture holds the fixed line once');
    const seedScript = join(work, 'authChat-seed.php');
    writeFileSync(seedScript, source.replace(FIXED_LINE, SEED_LINE));

    const watcher = await watchLoginPipe();
    const res = await php(seedScript, 'dimon-session', 'login=dimon&pass=qwerty');
    assert.equal(res.code, 255);
    const output = res.stdout + res.stderr;
    assert.match(output, /Uncaught mysqli_sql_exception: You have an error in your SQL syntax/);
    assert.match(output, /near ', '[0-9a-f]{32}'\)' at line 1/);
    assert.doesNotMatch(output, /<pre>/, 'the page never gets a key');
    const login = await watcher.message((m) => m.server_info.event === 'userLogin');
    assert.deepEqual(login.data, { name: 'Димон' }, 'the statement before it went through');

    const after = await run('mariadb', [
      '-h127.0.0.1',
      `-P${server.cometqlPort}`,
      '-u1',
      `-p${server.app1Secret}`,
      'CometQL_v1',
      '-e',
      'SELECT 1 AS alive',
    ]);
    assert.equal(after.stdout, 'alive\n1\n', 'the server is unharmed');
  });
});
