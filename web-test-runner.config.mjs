// Browser tests of <comet-chat>: headless Chromium, TypeScript through esbuild, and real comet servers
// (started here, in Node) that the tests reach through server commands.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromeLauncher } from '@web/test-runner-chrome';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { tsImport } from 'tsx/esm/api';

const APP = '1';

/** Named servers: `main` (in memory) lives for the whole run; tests may start more, e.g. a SQLite one to restart. */
function cometServersPlugin() {
  /** @type {Map<string, { server: any, dataDir?: string, port: number }>} */
  const servers = new Map();
  const proxies = [];
  let startServer, errorLogger, clock;
  /** The tests' server (test/fixtures/server.ts) at `port` (0: a free one), in memory or over SQLite in `dataDir`; faults logged. */
  const serve = (port, dataDir) =>
    startServer({ port, logger: errorLogger, clock: clock.now, ...(dataDir ? { memory: false, dataDir } : {}) });

  async function start(name, { sqlite = false } = {}) {
    const dataDir = sqlite ? mkdtempSync(join(tmpdir(), 'comet-chat-wtr-')) : undefined;
    const server = await serve(0, dataDir);
    servers.set(name, { server, dataDir, port: server.port });
    return info(name);
  }

  function entry(name = 'main') {
    const e = servers.get(name);
    if (!e) throw new Error(`no comet server named ${name}`);
    return e;
  }

  function info(name = 'main') {
    return { url: entry(name).server.url, devId: APP };
  }

  async function publishAll(server, list = []) {
    const reports = [];
    for (const m of list) reports.push(await server.core.publish(APP, m.pipe, m.event, m.data));
    return reports;
  }

  const commands = {
    'comet-server-info': ({ name }) => info(name),
    /** Moves the servers' clock (real time plus an offset) forward: a time-based rule passes without waiting. */
    'comet-clock-advance': ({ ms }) => {
      clock.advance(ms);
      return true;
    },
    'comet-server-start': ({ name, sqlite }) => start(name, { sqlite }),
    /** Closes the server, waits `downMs`, starts it again on the same port and data dir, then publishes `publish` at once. */
    'comet-server-restart': async ({ name = 'main', publish, downMs = 0 }) => {
      const e = entry(name);
      await e.server.close();
      await new Promise((resolve) => setTimeout(resolve, downMs));
      e.server = await serve(e.port, e.dataDir);
      return { ...info(name), reports: await publishAll(e.server, publish) };
    },
    /** Closes the server and keeps its port and data dir for comet-server-resume: its clients go on reconnecting. */
    'comet-server-pause': async ({ name = 'main' }) => {
      await entry(name).server.close();
      return true;
    },
    'comet-server-resume': async ({ name = 'main' }) => {
      const e = entry(name);
      e.server = await serve(e.port, e.dataDir);
      return info(name);
    },
    'comet-server-stop': async ({ name }) => {
      const e = entry(name);
      servers.delete(name);
      await e.server.close();
      if (e.dataDir) rmSync(e.dataDir, { recursive: true, force: true });
      return true;
    },
    /** A backend publish through the core, as the HTTP and CometQL fronts do it. */
    'comet-publish': async ({ name, pipe, event, data }) =>
      (await publishAll(entry(name).server, [{ pipe, event, data }]))[0],
    /** `count` messages `{text: prefix + i, name}` (i from 1), published one after another as fast as the core takes them. */
    'comet-publish-many': async ({ name, pipe, count, prefix = '', sender = 'backend' }) => {
      const server = entry(name).server;
      for (let i = 1; i <= count; i++)
        await server.core.publish(APP, pipe, undefined, { text: `${prefix}${i}`, name: sender });
      return true;
    },
    'comet-user-key': async ({ name, userId, key, userName }) => {
      await entry(name).server.core.setUserKey(APP, userId, key, userName);
      return true;
    },
    'comet-token': ({ name, userId, userName }) =>
      entry(name).server.core.issueToken(APP, { user_id: userId, name: userName }),
    /** A proxy in front of a server that loses the answer to the first `drops` publishes (test/fixtures/lost-ack-proxy.ts). */
    'comet-lost-ack-proxy': async ({ name = 'main', drops = 1 }) => {
      const { startLostAckProxy } = await tsImport('./test/fixtures/lost-ack-proxy.ts', import.meta.url);
      const proxy = await startLostAckProxy(entry(name).server.url, drops);
      proxies.push(proxy);
      return { url: proxy.url, devId: APP };
    },
    /** The server's `comet_connections` gauge, as /metrics shows it. */
    'comet-connections': async ({ name = 'main' }) => {
      const text = await (await fetch(`${entry(name).server.url}/metrics`)).text();
      return Number(/^comet_connections (\d+)$/m.exec(text)[1]);
    },
    'comet-history': ({ name = 'main', pipe }) => entry(name).server.core.history(APP, pipe, { limit: 200 }),
    'comet-delete': ({ name, pipe, marker }) => entry(name).server.core.deleteMessage(APP, pipe, marker),
    'comet-pipe-length': async ({ name, pipe, length }) => {
      await entry(name).server.core.setPipeSettings(APP, pipe, { length });
      return true;
    },
  };

  return {
    name: 'comet-servers',
    async serverStart() {
      ({ startServer, errorLogger } = await tsImport('./test/fixtures/server.ts', import.meta.url));
      clock = (await tsImport('./test/fixtures/test-clock.ts', import.meta.url)).offsetClock();
      await start('main');
    },
    async serverStop() {
      for (const proxy of proxies) await proxy.close();
      for (const name of [...servers.keys()]) await commands['comet-server-stop']({ name });
    },
    async executeCommand({ command, payload }) {
      const run = commands[command];
      return run ? run(payload ?? {}) : undefined;
    },
  };
}

export default {
  files: 'test/element/**/*.test.ts',
  nodeResolve: { browser: true, exportConditions: ['browser'] },
  concurrency: 1,
  concurrentBrowsers: 1,
  testFramework: { config: { timeout: 20000 } },
  testsFinishTimeout: 300000,
  // With --coverage (npm test): V8 coverage of the element's sources, for scripts/check-coverage.mjs.
  coverageConfig: {
    include: ['src/element/**/*.ts'],
    reportDir: 'coverage/element',
    reporters: ['json'],
  },
  browsers: [
    chromeLauncher({
      launchOptions: {
        executablePath: process.env.CHROME_PATH || '/usr/bin/chromium',
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      },
    }),
  ],
  plugins: [
    esbuildPlugin({ ts: true, tsconfig: fileURLToPath(new URL('./tsconfig.json', import.meta.url)) }),
    cometServersPlugin(),
  ],
};
