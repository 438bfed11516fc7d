/**
 * A real WordPress for the plugin's tests: Debian's package as provisioning unpacked it, copied into
 * a fresh folder with a plain wp-config.php, a fresh MariaDB database and user of its own, installed
 * headlessly with wp_install(), served by PHP's built-in server (four workers: with one, WordPress's
 * requests to itself deadlock) in its own process group, and removed whole afterwards.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unpackedWordPressVersion, WORDPRESS_SHARE } from '../../scripts/wordpress-cache.mjs';

const EVAL = fileURLToPath(new URL('./fixtures/wp-eval.php', import.meta.url));
/** Bounded: PHP's log is read for warnings, not kept whole. */
const LOG_MAX_CHARS = 2_000_000;

export const ADMIN = { login: 'admin', password: 'admin-password-0123' };

export interface WordPress {
  /** http://127.0.0.1:port, no trailing slash. */
  readonly url: string;
  readonly version: string;
  /** Runs PHP inside WordPress (wp-load.php loaded) and returns what the code returns, through JSON. */
  php<T = unknown>(code: string): Promise<T>;
  /** Writes (or with null removes) wp-config-local.php, which wp-config.php includes first: constants for one test. */
  setConfigConstants(constants: Record<string, string> | null): void;
  /** What PHP's server wrote to stderr so far (its own request lines and PHP's error_log). */
  log(): string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

const sql = (statements: string): void => {
  execFileSync('mariadb', ['-u', 'root', '-e', statements], { stdio: ['ignore', 'ignore', 'inherit'] });
};

const phpString = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

function wpConfig(db: { name: string; user: string; password: string }, url: string): string {
  const salts = [
    'AUTH_KEY',
    'SECURE_AUTH_KEY',
    'LOGGED_IN_KEY',
    'NONCE_KEY',
    'AUTH_SALT',
    'SECURE_AUTH_SALT',
    'LOGGED_IN_SALT',
    'NONCE_SALT',
  ]
    .map((name) => `define('${name}', '${randomBytes(32).toString('hex')}');`)
    .join('\n');
  return `<?php
// A plain configuration for one test run (Debian's own reads /etc/wordpress, which is not here).
if (is_file(__DIR__ . '/wp-config-local.php')) {
    require __DIR__ . '/wp-config-local.php';
}
define('DB_NAME', ${phpString(db.name)});
define('DB_USER', ${phpString(db.user)});
define('DB_PASSWORD', ${phpString(db.password)});
define('DB_HOST', '127.0.0.1:3306');
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
${salts}
$table_prefix = 'wp_';
define('WP_HOME', ${phpString(url)});
define('WP_SITEURL', ${phpString(url)});
// No network: no update checks, no calls out, no cron requests to itself.
define('WP_HTTP_BLOCK_EXTERNAL', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_AUTO_UPDATE_CORE', false);
define('DISABLE_WP_CRON', true);
define('FS_METHOD', 'direct');
// Warnings go to PHP's log (the server's stderr), where the tests look for the plugin's.
define('WP_DEBUG', true);
define('WP_DEBUG_DISPLAY', false);
define('WP_DEBUG_LOG', false);
if (!defined('ABSPATH')) {
    define('ABSPATH', __DIR__ . '/');
}
require_once ABSPATH . 'wp-settings.php';
`;
}

function runPhp(dir: string, code: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'php',
      [EVAL, dir],
      { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`php failed: ${err.message}\n${stdout}\n${stderr}`));
        else resolve(stdout);
      },
    );
    child.stdin!.end(code);
  });
}

export async function startWordPress(): Promise<WordPress> {
  const version = unpackedWordPressVersion();
  assert.ok(version, 'WordPress is not unpacked: run node scripts/provision.mjs');
  const root = mkdtempSync(join(tmpdir(), 'comet-chat-wp-'));
  // wordpress/ with php/ and javascript/ beside it, where its relative symlinks point.
  for (const part of ['wordpress', 'php', 'javascript'])
    cpSync(join(WORDPRESS_SHARE, part), join(root, part), { recursive: true, verbatimSymlinks: true });
  const dir = join(root, 'wordpress');
  const tag = randomBytes(6).toString('hex');
  const db = { name: `ccwp_${tag}`, user: `ccwp_${tag}`, password: randomBytes(16).toString('hex') };
  sql(
    `CREATE DATABASE ${db.name} CHARACTER SET utf8mb4; CREATE USER '${db.user}'@'127.0.0.1' IDENTIFIED BY '${db.password}'; ` +
      `GRANT ALL ON ${db.name}.* TO '${db.user}'@'127.0.0.1';`,
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  writeFileSync(join(dir, 'wp-config.php'), wpConfig(db, url));

  let server: ChildProcess | undefined;
  let log = '';
  const stop = async (): Promise<void> => {
    if (server?.pid && server.exitCode === null) {
      const exited = new Promise((resolve) => server!.once('exit', resolve));
      process.kill(-server.pid, 'SIGTERM');
      await exited;
    }
    sql(`DROP DATABASE IF EXISTS ${db.name}; DROP USER IF EXISTS '${db.user}'@'127.0.0.1';`);
    rmSync(root, { recursive: true, force: true });
  };
  try {
    await runPhp(
      dir,
      `require_once ABSPATH . 'wp-admin/includes/upgrade.php';
       wp_install('Comet Chat test site', ${phpString(ADMIN.login)}, 'admin@example.com', true, '', wp_slash(${phpString(ADMIN.password)}));
       update_option('permalink_structure', '');
       return true;`,
    );
    // detached: a new session and process group (setsid), so stopping it stops every worker.
    server = spawn('php', ['-d', 'opcache.revalidate_freq=0', '-S', `127.0.0.1:${port}`, '-t', dir], {
      detached: true,
      env: { ...process.env, PHP_CLI_SERVER_WORKERS: '4' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    server.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      log = (log + chunk).slice(-LOG_MAX_CHARS);
    });
    await waitForHttp(`${url}/wp-login.php`);
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    url,
    version,
    async php<T>(code: string): Promise<T> {
      const out = await runPhp(dir, code);
      return JSON.parse(out.slice(out.lastIndexOf('\n@@result@@') + '\n@@result@@'.length)) as T;
    },
    setConfigConstants(constants) {
      const file = join(dir, 'wp-config-local.php');
      if (constants === null) {
        if (existsSync(file)) rmSync(file);
        return;
      }
      const lines = Object.entries(constants).map(([k, v]) => `define(${phpString(k)}, ${phpString(v)});`);
      writeFileSync(file, `<?php\n${lines.join('\n')}\n`);
    },
    log: () => log,
    stop,
  };
}

async function waitForHttp(url: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`WordPress did not answer at ${url}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
