#!/usr/bin/env node
// Makes sure what the test suites need outside npm is here: Chromium, php-cli with mysqli,
// the mariadb client and a running Redis. On Debian as root it installs and starts what is
// missing; anywhere else it stops at once, naming the missing piece and how to install it.
import { existsSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { connect } from 'node:net';

const REDIS_PORT = 6379;
const isRoot = process.getuid?.() === 0;
const isDebian = existsSync('/etc/debian_version');
const canInstall = isRoot && isDebian && spawnSync('apt-get', ['--version']).status === 0;

const has = (cmd, args = ['--version']) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const chromiumPath = () =>
  [process.env.CHROME_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find(
    (p) => p && existsSync(p),
  );
const phpHasMysqli = () =>
  has('php', ['-r', 'exit(function_exists("mysqli_connect") ? 0 : 1);']);

const redisUp = () =>
  new Promise((resolve) => {
    const socket = connect(REDIS_PORT, '127.0.0.1');
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.write('PING\r\n');
    });
    socket.once('data', (buf) => {
      socket.destroy();
      resolve(buf.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });

/** What is missing: [piece, Debian packages, how to get it elsewhere]. */
async function missingPieces() {
  const missing = [];
  if (!chromiumPath()) missing.push(['Chromium (browser tests)', ['chromium'], 'apt-get install -y chromium, or set CHROME_PATH']);
  if (!has('php')) missing.push(['php-cli (CometQL compatibility tests)', ['php-cli', 'php-mysql'], 'apt-get install -y php-cli php-mysql']);
  else if (!phpHasMysqli()) missing.push(['php mysqli extension', ['php-mysql'], 'apt-get install -y php-mysql']);
  if (!has('mariadb')) missing.push(['mariadb command-line client (CometQL tests)', ['mariadb-client'], 'apt-get install -y mariadb-client']);
  if (!(await redisUp())) {
    if (!has('redis-server')) missing.push(['Redis server (cluster tests)', ['redis-server'], 'apt-get install -y redis-server']);
    else missing.push(['a running Redis on 127.0.0.1:6379 (cluster tests)', [], 'redis-server --daemonize yes --port 6379']);
  }
  return missing;
}

function startRedis() {
  execFileSync('redis-server', ['--daemonize', 'yes', '--bind', '127.0.0.1', '--port', String(REDIS_PORT), '--save', '', '--appendonly', 'no'], {
    stdio: 'inherit',
  });
}

let missing = await missingPieces();
if (missing.length > 0 && canInstall) {
  const packages = [...new Set(missing.flatMap(([, pkgs]) => pkgs))];
  if (packages.length > 0) {
    console.log(`provision: installing ${packages.join(' ')}`);
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  }
  if (!(await redisUp())) {
    console.log('provision: starting redis-server');
    startRedis();
    for (let i = 0; i < 20 && !(await redisUp()); i++) await new Promise((r) => setTimeout(r, 250));
  }
  missing = await missingPieces();
}
if (missing.length > 0) {
  console.error('provision: the test suites need what this machine lacks:');
  for (const [piece, , how] of missing) console.error(`  - ${piece}: ${how}`);
  process.exit(1);
}
console.log('provision: Chromium, php-cli + mysqli, mariadb client and Redis are ready');
