/** The comet-chat-server command: a spawned process, its banner, /healthz, signals and usage errors. */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { DEFAULT_DRAIN_MS, parseCli, UsageError } from '../../src/server/cli.js';
import { connect } from './socket-helpers.js';

const cliUrl = pathToFileURL(fileURLToPath(new URL('../../src/server/cli.ts', import.meta.url))).href;
const entry = `import { runCli } from ${JSON.stringify(cliUrl)}; const s = await runCli(process.argv.slice(1)); if (s !== undefined) process.exit(s);`;

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Every server started; one a failed assertion left running is killed after the tests. */
const running = new Set<ChildProcess>();

function run(args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', entry, '--', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  running.add(child);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Resolves with the stdout so far once it matches. */
function waitForOutput(r: Run, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (pattern.test(r.stdout())) {
        r.child.stdout!.off('data', check);
        resolve(r.stdout());
      }
    };
    r.child.stdout!.on('data', check);
    void r.exited.then((code) => reject(new Error(`exited ${code}: ${r.stderr()}`)));
    check();
  });
}

const dirs: string[] = [];
after(() => {
  for (const child of running) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('comet-chat-server', () => {
  it('starts in memory, prints the URL, the dev id and how to get a secret, answers /healthz, stops on SIGTERM', async () => {
    const r = run(['--port', '0', '--host', '127.0.0.1', '--memory', '--no-cometql']);
    const out = await waitForOutput(r, /app 1 secret: .+\n/);
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
    assert.ok(url, out);
    assert.match(out, /dev id: 1/);
    assert.match(
      out,
      /app 1 secret: generated for this run, not shown \(memory mode\); to call the backend API, set one for app "1" in COMET_APPS/,
    );
    assert.doesNotMatch(out, /[A-Za-z0-9_-]{32,}/, 'no secret-like token is printed');
    const health = await fetch(`${url}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok', store: 'ok' });
    r.child.kill('SIGTERM');
    assert.equal(await r.exited, 0);
  });

  it('drains within --drain-ms on SIGTERM, then exits 0 within its bound', async () => {
    const r = run(['--port', '0', '--host', '127.0.0.1', '--memory', '--no-cometql', '--drain-ms', '1500']);
    const out = await waitForOutput(r, /app 1 secret: .+\n/);
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1];
    // A client that ignores goaway keeps the node draining until --drain-ms is over.
    const stubborn = await connect({ url });
    const started = Date.now();
    r.child.kill('SIGTERM');
    assert.equal(await r.exited, 0, r.stderr());
    const took = Date.now() - started;
    stubborn.close();
    assert.match(r.stdout(), /SIGTERM: shutting down; clients move to other nodes within 1500 ms/);
    assert.match(r.stdout(), /stopped in \d+ ms/);
    // The drain, up to 5 s of webhook flushing, up to 5 s more for the store: the bound of the process.
    assert.ok(took >= 1400 && took < 1500 + 5000 + 5000, `exited ${took} ms after SIGTERM`);
  });

  it('takes its settings from environment variables, keeps the secret in the data dir and starts CometQL', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'comet-cli-'));
    dirs.push(dataDir);
    const apps = JSON.stringify([{ id: 'shop', secret: 'shop-secret-from-env-0123' }]);
    const r = run([], {
      COMET_PORT: '0',
      COMET_HOST: '127.0.0.1',
      COMET_DATA: dataDir,
      COMET_COMETQL_PORT: '0',
      COMET_APPS: apps,
    });
    const out = await waitForOutput(r, /CometQL.*:\d+\n/);
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
    const asShop = (secret: string) =>
      fetch(`${url}/api/v1/apps/shop/webhook`, { headers: { Authorization: `Bearer ${secret}` } }).then(
        (res) => res.status,
      );
    assert.equal(await asShop('shop-secret-from-env-0123'), 200);
    assert.equal(await asShop('another-secret-0123456789'), 401);
    const file = join(dataDir, 'app-1.secret');
    assert.ok(out.includes(`app 1 secret: in ${file}`), out);
    assert.ok(existsSync(file));
    assert.ok(readFileSync(file, 'utf8').trim().length >= 32);
    assert.ok(!out.includes(readFileSync(file, 'utf8').trim()), 'the secret itself is not printed');
    r.child.kill('SIGINT');
    assert.equal(await r.exited, 0, r.stdout() + r.stderr());
  });

  it('never prints a configured secret: with --data it says where the secret was set', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'comet-cli-'));
    dirs.push(dataDir);
    const secret = 'configured-app-one-secret-0123';
    const apps = JSON.stringify([{ id: '1', secret }]);
    const r = run(['--port', '0', '--data', dataDir, '--no-cometql'], { COMET_APPS: apps });
    const out = await waitForOutput(r, /app 1 secret: .+\n/);
    assert.match(out, /app 1 secret: as set in COMET_APPS\n/);
    r.child.kill('SIGTERM');
    assert.equal(await r.exited, 0);
    assert.ok(!(r.stdout() + r.stderr()).includes(secret), r.stdout());
  });

  it('in Redis mode says which key holds the secret, and never prints it', async () => {
    const db = 1 + Math.floor(Math.random() * 15);
    const redisUrl = `redis://127.0.0.1:6379/${db}`;
    const r = run(['--port', '0', '--no-cometql', '--redis', redisUrl]);
    const redis = new Redis(redisUrl);
    try {
      const out = await waitForOutput(r, /app 1 secret: .+\n/);
      assert.match(
        out,
        /app 1 secret: kept in Redis, shared by every node; read it with: redis-cli -u <your Redis URL> GET 'comet:1:secret'\n/,
      );
      const secret = await redis.get('comet:1:secret');
      assert.ok(secret && secret.length >= 32);
      r.child.kill('SIGTERM');
      assert.equal(await r.exited, 0);
      assert.ok(!(r.stdout() + r.stderr()).includes(secret), r.stdout());
    } finally {
      await redis.del('comet:1:secret');
      redis.disconnect();
    }
  });

  it('a Redis URL with a password is not repeated when Redis cannot be reached', async () => {
    const port = await closedPort();
    const r = run(['--port', '0', '--no-cometql'], {
      COMET_REDIS_URL: `redis://:hunter2-redis-password@127.0.0.1:${port}/0`,
    });
    assert.equal(await r.exited, 1);
    assert.match(
      r.stderr(),
      new RegExp(`could not start: cannot connect to Redis at redis://127\\.0\\.0\\.1:${port}/0: `),
    );
    assert.ok(!(r.stdout() + r.stderr()).includes('hunter2'), r.stderr());
  });

  it('a config file that is not JSON is reported without the secret written in it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'comet-cli-'));
    dirs.push(dir);
    const file = join(dir, 'comet.json');
    writeFileSync(file, '{"apps": [{"id": "1", "secret": s3cr3t-app-one-0123456789}]}');
    const r = run(['--port', '0', '--memory', '--no-cometql', '--config', file]);
    assert.equal(await r.exited, 1);
    assert.match(r.stderr(), /could not start: cannot read config file .*comet\.json: not valid JSON/);
    assert.ok(!(r.stdout() + r.stderr()).includes('s3cr3t'), r.stderr());
  });

  it('exits 2 with a clear message on a bad flag (parseCli below covers every bad value)', async () => {
    const r = run(['--port', '0', '--bogus']);
    assert.equal(await r.exited, 2);
    assert.match(r.stderr(), /comet-chat-server: Unknown option '--bogus'.*\nTry --help/);
  });
});

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('parseCli', () => {
  it('prefers flags over the environment and maps every option', () => {
    assert.deepEqual(
      parseCli(['--port', '9000', '--demo', '--redis', 'redis://x'], { COMET_PORT: '1', COMET_HOST: '0.0.0.0' }),
      {
        help: false,
        options: { port: 9000, host: '0.0.0.0', redisUrl: 'redis://x', demo: true, drainMs: DEFAULT_DRAIN_MS },
      },
    );
    assert.deepEqual(parseCli([], { COMET_MEMORY: '1', COMET_COMETQL_PORT: 'off', COMET_CONFIG: 'c.json' }), {
      help: false,
      options: { memory: true, cometqlPort: false, configFile: 'c.json', drainMs: DEFAULT_DRAIN_MS },
    });
    assert.deepEqual(parseCli(['--cometql-port', '0', '--data', 'd']).valueOf(), {
      help: false,
      options: { cometqlPort: 0, dataDir: 'd', drainMs: DEFAULT_DRAIN_MS },
    });
    assert.deepEqual(
      parseCli([], {
        COMET_APPS: '[{"id":"shop","secret":"shop-secret-0123456789","origins":["https://shop.example"]}]',
      }),
      {
        help: false,
        options: {
          apps: [{ id: 'shop', secret: 'shop-secret-0123456789', origins: ['https://shop.example'] }],
          drainMs: DEFAULT_DRAIN_MS,
        },
      },
    );
    assert.deepEqual(parseCli(['--help']), { help: true });
  });

  it('reads the drain time and the Redis prefix, flag over environment', () => {
    assert.deepEqual(parseCli(['--drain-ms', '0', '--redis-prefix', 'chat-eu'], { COMET_DRAIN_MS: '5000' }), {
      help: false,
      options: { redisPrefix: 'chat-eu', drainMs: 0 },
    });
    assert.deepEqual(parseCli([], { COMET_DRAIN_MS: '2500', COMET_REDIS_PREFIX: 'a.b_c-1' }), {
      help: false,
      options: { redisPrefix: 'a.b_c-1', drainMs: 2500 },
    });
    for (const args of [
      ['--drain-ms', '1.5'],
      ['--drain-ms', '600001'],
      ['--drain-ms', ''],
      ['--redis-prefix', 'a b'],
      ['--redis-prefix', ''],
    ]) {
      assert.throws(() => parseCli(args), UsageError, args.join(' '));
    }
  });

  it('throws UsageError for unknown flags, bad ports and contradictions', () => {
    for (const args of [
      ['--nope'],
      ['--port', '70000'],
      ['--port', '-1'],
      ['--no-cometql', '--cometql-port', '1'],
      ['extra'],
    ]) {
      assert.throws(() => parseCli(args), UsageError, args.join(' '));
    }
    assert.throws(() => parseCli([], { COMET_PORT: 'x' }), /COMET_PORT/);
    assert.throws(() => parseCli([], { COMET_APPS: '{not json' }), /COMET_APPS must be a JSON array/);
    // The message names the problem, never the value: it holds secrets.
    assert.throws(
      () => parseCli([], { COMET_APPS: '[{"id":"a","secret":"short-one"}]' }),
      (err: Error) => {
        assert.ok(err instanceof UsageError);
        assert.match(err.message, /COMET_APPS: 0\.secret: secrets are at least 16 characters/);
        assert.ok(!err.message.includes('short-one'));
        return true;
      },
    );
  });
});
