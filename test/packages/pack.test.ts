/**
 * The two published packages as a user gets them: `npm pack` of each workspace, then `npm install <tarball>`
 * into an empty folder, dependencies taken from the npm cache that `npm ci` filled (the registry only for
 * what is missing there).
 *
 * - comet-chat brings lit and socket.io-client and nothing of the server: no Socket.IO server, no Redis,
 *   no SQLite, no zod, no install scripts, no native code; its entry points load and its types check.
 * - comet-chat-server installs, and its `comet-chat-server` command starts from the installed package,
 *   serves the bundle it ships, keeps its SQLite file and stops on SIGTERM. better-sqlite3's install script
 *   runs as usual; its prebuild-install step is pointed at the binary this checkout already built, the one
 *   thing that would otherwise be a two-minute compile (or a download, which this machine cannot make).
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { io } from 'socket.io-client';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..', '..');
const NPM_QUIET = ['--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'];

/** What the element package must never bring along. */
const SERVER_PACKAGES = [
  'socket.io',
  'engine.io',
  'socket.io-adapter',
  '@socket.io/redis-adapter',
  'ioredis',
  'better-sqlite3',
  'zod',
  'bindings',
  'prebuild-install',
  'node-gyp',
];

interface Packed {
  name: string;
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: { path: string }[];
}

let work: string;
const packed = {} as Record<'comet-chat' | 'comet-chat-server', Packed>;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'comet-pack-'));
  const { stdout } = await run(
    'npm',
    [
      'pack',
      '--json',
      '--pack-destination',
      work,
      '--workspace',
      'packages/comet-chat',
      '--workspace',
      'packages/comet-chat-server',
    ],
    { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
  );
  for (const p of JSON.parse(stdout) as Packed[]) packed[p.name as keyof typeof packed] = p;
});
after(() => rmSync(work, { recursive: true, force: true }));

/** An empty app folder with `npm install <tarball>` done in it. */
async function installInto(
  name: string,
  tarball: string,
  env: NodeJS.ProcessEnv = {},
): Promise<{ dir: string; ms: number }> {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `try-${name}`, private: true, type: 'module' }));
  const started = Date.now();
  await run('npm', ['install', ...NPM_QUIET, join(work, tarball)], {
    cwd: dir,
    env: { ...process.env, ...env },
    maxBuffer: 16 * 1024 * 1024,
  });
  return { dir, ms: Date.now() - started };
}

/** Installed packages, from npm's own record of the tree. */
function installed(dir: string): Map<string, { version: string; hasInstallScript?: boolean }> {
  const lock = JSON.parse(readFileSync(join(dir, 'node_modules', '.package-lock.json'), 'utf8')) as {
    packages: Record<string, { version: string; hasInstallScript?: boolean; link?: boolean }>;
  };
  const out = new Map<string, { version: string; hasInstallScript?: boolean }>();
  for (const [path, info] of Object.entries(lock.packages)) out.set(path.replace(/^.*node_modules\//, ''), info);
  return out;
}

/** Native code anywhere under a folder: a compiled addon or something to compile. */
function nativeFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.node') || name === 'binding.gyp') found.push(path.slice(dir.length + 1));
    }
  };
  walk(dir);
  return found;
}

const kb = (n: number) => `${(n / 1000).toFixed(1)} kB`;

describe('npm pack + a clean install', { timeout: 300_000, concurrency: true }, () => {
  test('comet-chat: the element, client, protocol types and facade, with lit and socket.io-client only', async (t) => {
    const pkg = packed['comet-chat'];
    const files = new Set(pkg.files.map((f) => f.path));
    for (const f of [
      'lib/element/define.js',
      'lib/element/react.d.ts',
      'lib/element/vue.d.ts',
      'lib/client/index.js',
      'lib/protocol/index.d.ts',
      'lib/compat/index.js',
      'dist/comet-chat.js',
      'dist/comet-chat-ru.js',
      'custom-elements.json',
    ]) {
      assert.ok(files.has(f), `${f} is in the tarball`);
    }
    const shipped =
      /^(package\.json|README\.md|custom-elements\.json|lib\/(element|client|protocol|compat)\/.+\.(js|d\.ts)|dist\/(comet-chat(-[a-z0-9]+)?|CometServerApi)\.js(\.map)?)$/;
    assert.deepEqual(
      [...files].filter((f) => !shipped.test(f) || f.includes('schemas.')),
      [],
      'nothing else: no server code, no zod schemas, no demo',
    );

    const { dir, ms } = await installInto('element', pkg.filename);
    const tree = installed(dir);
    tree.delete('');
    const names = [...tree.keys()];
    assert.deepEqual(
      names.filter((n) => SERVER_PACKAGES.includes(n)),
      [],
      'no server package',
    );
    assert.deepEqual(
      names.filter((n) => tree.get(n)!.hasInstallScript),
      [],
      'no install scripts',
    );
    assert.deepEqual(nativeFiles(join(dir, 'node_modules')), [], 'no native code');
    const manifest = JSON.parse(readFileSync(join(dir, 'node_modules', 'comet-chat', 'package.json'), 'utf8')) as {
      dependencies: object;
    };
    assert.deepEqual(Object.keys(manifest.dependencies).sort(), ['lit', 'socket.io-client']);

    // The entry points that load outside a browser, and the types of all of them.
    const { stdout } = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "const c = await import('comet-chat/client'); const p = await import('comet-chat/protocol'); const f = await import('comet-chat/compat'); console.log(typeof c.CometClient, typeof p.isValidPipeName, typeof f.CometServerApi);",
      ],
      { cwd: dir },
    );
    assert.equal(stdout.trim(), 'function function function');
    writeFileSync(
      join(dir, 'use.ts'),
      [
        "import type { CometChat, CometMessageDetail } from 'comet-chat';",
        "import { CometClient, type CometClientOptions } from 'comet-chat/client';",
        "import type { IncomingMessage } from 'comet-chat/protocol';",
        "import { CometServer } from 'comet-chat/compat';",
        "const options: CometClientOptions = { server: 'https://chat.example.com', devId: 1 };",
        'export const client = new CometClient(options);',
        'export const text = (d: CometMessageDetail, m: IncomingMessage): string => d.message.text + m.server_info.pipe;',
        "export const send = (el: CometChat) => el.send('hi');",
        "export const el: CometChat | null = document.querySelector('comet-chat');",
        'export const api = CometServer();',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          lib: ['ES2022', 'DOM'],
          noEmit: true,
          skipLibCheck: false,
          types: [],
        },
        files: ['use.ts'],
      }),
    );
    await run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], {
      cwd: dir,
    });

    t.diagnostic(
      `comet-chat: tarball ${kb(pkg.size)} (${pkg.entryCount} files, ${kb(pkg.unpackedSize)} unpacked); installs ${names.length} packages in ${ms} ms: ${names.join(', ')}`,
    );
  });

  test('comet-chat-server: installs from its tarball, then its command starts, serves and stops', async (t) => {
    const pkg = packed['comet-chat-server'];
    const files = new Set(pkg.files.map((f) => f.path));
    for (const f of [
      'bin/comet-chat-server.js',
      'lib/server/cli.js',
      'lib/server/index.d.ts',
      'lib/protocol/schemas.js',
      'dist/comet-chat.js',
      'dist/comet-chat-ru.js',
      'dist/CometServerApi.js',
      'demo/anonymous/index.html',
    ]) {
      assert.ok(files.has(f), `${f} is in the tarball`);
    }
    const shipped =
      /^(package\.json|README\.md|bin\/comet-chat-server\.js|lib\/(server|protocol)\/.+\.(js|d\.ts)|dist\/(comet-chat(-[a-z0-9]+)?|CometServerApi)\.js(\.map)?|demo\/.+)$/;
    assert.deepEqual(
      [...files].filter((f) => !shipped.test(f)),
      [],
      'nothing else: no element sources, no other builds',
    );

    const prebuilds = join(work, 'prebuilds');
    const native = await localPrebuild(prebuilds);
    const { dir, ms } = await installInto('server', pkg.filename, {
      npm_config_better_sqlite3_local_prebuilds: prebuilds,
    });
    const tree = installed(dir);
    tree.delete('');
    assert.equal(tree.get('better-sqlite3')?.version, native.version);
    assert.equal(tree.has('lit'), false, 'the server serves the prebuilt bundle; lit is not a dependency');

    const data = join(work, 'server-data');
    const child = spawn(
      join(dir, 'node_modules', '.bin', 'comet-chat-server'),
      ['--port', '0', '--host', '127.0.0.1', '--no-cometql', '--data', data],
      {
        cwd: dir,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const url = await new Promise<string>((done, fail) => {
      child.stdout.on('data', () => {
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m) done(m[1]);
      });
      void exited.then((code) => fail(new Error(`exited ${code}: ${out}`)));
    });
    try {
      assert.equal((await fetch(`${url}/healthz`)).status, 200);
      const bundle = await fetch(`${url}/comet-chat.js`);
      assert.equal(bundle.status, 200);
      assert.equal(await bundle.text(), readFileSync(join(ROOT, 'dist', 'comet-chat.js'), 'utf8'));
      // The chunks the bundle loads when needed are served beside it.
      const chunk = await fetch(`${url}/comet-chat-ru.js`);
      assert.equal(chunk.status, 200);
      assert.equal(await chunk.text(), readFileSync(join(ROOT, 'dist', 'comet-chat-ru.js'), 'utf8'));
      // A live pipe server: a client connects and is told who it is.
      const socket = io(url, { transports: ['websocket'], auth: { dev_id: '1' }, forceNew: true, reconnection: false });
      const auth = await new Promise<{ authorized: boolean }>((done, fail) => {
        socket.once('auth', done);
        socket.once('connect_error', fail);
      });
      socket.close();
      assert.equal(auth.authorized, false);
      assert.ok(existsSync(join(data, 'comet.db')), 'SQLite (the native module) keeps its file');
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0, out);
    t.diagnostic(
      `comet-chat-server: tarball ${kb(pkg.size)} (${pkg.entryCount} files, ${kb(pkg.unpackedSize)} unpacked); installs ${tree.size} packages in ${ms} ms`,
    );
  });
});

/**
 * The better-sqlite3 binary of this checkout, packed the way prebuild-install looks for a local prebuild
 * (`<name>-v<version>-node-v<abi>-<platform>-<arch>.tar.gz` holding build/Release/*.node).
 */
async function localPrebuild(dir: string): Promise<{ version: string }> {
  const source = join(ROOT, 'node_modules', 'better-sqlite3');
  const { version } = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8')) as { version: string };
  mkdirSync(dir, { recursive: true });
  const file = join(
    dir,
    `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`,
  );
  await run('tar', ['-czf', file, '-C', source, 'build/Release/better_sqlite3.node']);
  return { version };
}
