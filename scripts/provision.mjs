#!/usr/bin/env node
// Makes sure what the test suites need outside npm is here: Chromium, php-cli with mysqli,
// the mariadb client, a running Redis; for the WordPress plugin: PHP's WordPress extensions,
// PHP_CodeSniffer, a running MariaDB and Debian's WordPress unpacked under .cache/; for the deployment
// tests: nginx, openssl and systemd-analyze. On Debian as root it installs and starts what is missing;
// anywhere else it stops at once, naming the missing piece and how to install it.
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { unpackedWordPressVersion, WORDPRESS_CACHE, WORDPRESS_PACKAGES } from './wordpress-cache.mjs';

const REDIS_PORT = 6379;
const MARIADB_PORT = 3306;
/** PHP extensions WordPress and the plugin's tests use, with the Debian package of each. */
const PHP_EXTENSIONS = {
  gd: 'php-gd',
  curl: 'php-curl',
  dom: 'php-xml',
  mbstring: 'php-mbstring',
  zip: 'php-zip',
  intl: 'php-intl',
  mysqli: 'php-mysql',
};
const isRoot = process.getuid?.() === 0;
const isDebian = existsSync('/etc/debian_version');
const canInstall = isRoot && isDebian && spawnSync('apt-get', ['--version']).status === 0;

const has = (cmd, args = ['--version']) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const chromiumPath = () =>
  [process.env.CHROME_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find(
    (p) => p && existsSync(p),
  );
/** Debian puts nginx in /usr/sbin, which a non-root PATH may lack; test/deploy looks there too. */
const nginxPath = () =>
  [process.env.NGINX_PATH, '/usr/sbin/nginx', '/usr/local/sbin/nginx'].find((p) => p && existsSync(p)) ??
  (has('nginx', ['-v']) ? 'nginx' : undefined);
const phpHasMysqli = () => has('php', ['-r', 'exit(function_exists("mysqli_connect") ? 0 : 1);']);

const missingPhpExtensions = () => {
  const probe = spawnSync(
    'php',
    ['-r', `foreach (${JSON.stringify(Object.keys(PHP_EXTENSIONS))} as $e) if (!extension_loaded($e)) echo $e, "\\n";`],
    { encoding: 'utf8' },
  );
  return probe.status === 0 ? probe.stdout.split('\n').filter(Boolean) : Object.keys(PHP_EXTENSIONS);
};

const portOpen = (port) =>
  new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });

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
  if (!chromiumPath())
    missing.push(['Chromium (browser tests)', ['chromium'], 'apt-get install -y chromium, or set CHROME_PATH']);
  if (!has('php'))
    missing.push([
      'php-cli (CometQL compatibility tests)',
      ['php-cli', 'php-mysql'],
      'apt-get install -y php-cli php-mysql',
    ]);
  else if (!phpHasMysqli()) missing.push(['php mysqli extension', ['php-mysql'], 'apt-get install -y php-mysql']);
  if (!has('mariadb'))
    missing.push([
      'mariadb command-line client (CometQL tests)',
      ['mariadb-client'],
      'apt-get install -y mariadb-client',
    ]);
  // Without php-cli nothing can be probed yet: its WordPress extensions are installed along with it.
  const extensions = has('php') ? missingPhpExtensions() : Object.keys(PHP_EXTENSIONS);
  if (extensions.length > 0) {
    const pkgs = extensions.map((e) => PHP_EXTENSIONS[e]);
    missing.push([
      `PHP extensions for WordPress: ${extensions.join(', ')}`,
      pkgs,
      `apt-get install -y ${pkgs.join(' ')}`,
    ]);
  }
  if (!has('phpcs'))
    missing.push(['PHP_CodeSniffer (plugin checks)', ['php-codesniffer'], 'apt-get install -y php-codesniffer']);
  if (!(await portOpen(MARIADB_PORT))) {
    if (!existsSync('/usr/sbin/mariadbd'))
      missing.push(['MariaDB server (WordPress tests)', ['mariadb-server'], 'apt-get install -y mariadb-server']);
    else
      missing.push([
        'a running MariaDB on 127.0.0.1:3306 (WordPress tests)',
        [],
        'start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd',
      ]);
  }
  if (!unpackedWordPressVersion()) {
    missing.push([
      `Debian's WordPress unpacked in ${WORDPRESS_CACHE} (WordPress tests)`,
      [],
      `cd ${WORDPRESS_CACHE} && apt-get download ${WORDPRESS_PACKAGES.join(' ')} && for d in *.deb; do dpkg -x "$d" .; done`,
    ]);
  }
  if (!nginxPath())
    missing.push([
      'nginx (deployment tests; run unprivileged in its own prefix)',
      ['nginx'],
      'apt-get install -y nginx, or set NGINX_PATH',
    ]);
  if (!has('systemd-analyze', ['--version']))
    missing.push(['systemd-analyze (checks the documented systemd unit)', ['systemd'], 'apt-get install -y systemd']);
  if (!has('openssl', ['version']))
    missing.push([
      'openssl (the deployment tests make a self-signed certificate)',
      ['openssl'],
      'apt-get install -y openssl',
    ]);
  if (!(await redisUp())) {
    if (!has('redis-server'))
      missing.push(['Redis server (cluster tests)', ['redis-server'], 'apt-get install -y redis-server']);
    else
      missing.push([
        'a running Redis on 127.0.0.1:6379 (cluster tests)',
        [],
        'redis-server --daemonize yes --port 6379',
      ]);
  }
  return missing;
}

function startRedis() {
  execFileSync(
    'redis-server',
    ['--daemonize', 'yes', '--bind', '127.0.0.1', '--port', String(REDIS_PORT), '--save', '', '--appendonly', 'no'],
    {
      stdio: 'inherit',
    },
  );
}

function startMariaDb() {
  mkdirSync('/run/mysqld', { recursive: true });
  spawnSync('chown', ['mysql:mysql', '/run/mysqld']);
  execFileSync('start-stop-daemon', ['--start', '--oknodo', '--background', '--exec', '/usr/sbin/mariadbd'], {
    stdio: 'inherit',
  });
}

/** Fetches Debian's WordPress packages and unpacks them (dpkg -x: files only, nothing installed). */
function unpackWordPress() {
  rmSync(WORDPRESS_CACHE, { recursive: true, force: true });
  mkdirSync(WORDPRESS_CACHE, { recursive: true });
  const download = () =>
    spawnSync('apt-get', ['download', '-qq', ...WORDPRESS_PACKAGES], { cwd: WORDPRESS_CACHE, stdio: 'inherit' })
      .status === 0;
  if (!download()) {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    if (!download()) throw new Error('apt-get download of the WordPress packages failed');
  }
  for (const deb of readdirSync(WORDPRESS_CACHE).filter((f) => f.endsWith('.deb'))) {
    execFileSync('dpkg', ['-x', deb, '.'], { cwd: WORDPRESS_CACHE, stdio: 'inherit' });
    rmSync(join(WORDPRESS_CACHE, deb));
  }
}

const waitFor = async (check) => {
  for (let i = 0; i < 60 && !(await check()); i++) await new Promise((r) => setTimeout(r, 250));
};

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
    // Where services may start, the package starts a system nginx on port 80: the tests need none.
    if (packages.includes('nginx')) spawnSync(nginxPath() ?? 'nginx', ['-s', 'quit'], { stdio: 'ignore' });
  }
  if (!(await redisUp())) {
    console.log('provision: starting redis-server');
    startRedis();
    await waitFor(redisUp);
  }
  if (!(await portOpen(MARIADB_PORT))) {
    console.log('provision: starting mariadbd');
    startMariaDb();
    await waitFor(() => portOpen(MARIADB_PORT));
  }
  if (!unpackedWordPressVersion()) {
    console.log(`provision: fetching and unpacking ${WORDPRESS_PACKAGES.join(' ')}`);
    unpackWordPress();
  }
  missing = await missingPieces();
}
if (missing.length > 0) {
  console.error('provision: the test suites need what this machine lacks:');
  for (const [piece, , how] of missing) console.error(`  - ${piece}: ${how}`);
  process.exit(1);
}
console.log(
  `provision: Chromium, php-cli + mysqli and WordPress's extensions, phpcs, the mariadb client, nginx, openssl, systemd-analyze, Redis, MariaDB and WordPress ${unpackedWordPressVersion()} are ready`,
);
