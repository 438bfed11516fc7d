// Rollup plugin: engine.io-client's transport table with the WebSocket transport alone, and no upgrade probes.
// socket.io-client cannot tree-shake the table, so every transport in it ships. The browser bundles never
// ask for anything else by name: <comet-chat> and the CometServerApi facade build their CometClient without
// `transports`, so it connects over WebSocket and, on a network that refuses it, gets polling as a class
// (src/client/transport-fallback.ts, the comet-chat-polling.js chunk); neither bundle exposes CometClient.
// The table's long-polling (~0.6 KB gzip) and WebTransport (~0.8 KB) were dead code in them. CometClient from
// the npm package (lib/, through the page's own bundler) keeps every transport, `polling` included.
// Applied to the size baseline too (rollup.config.js browserPlugins), so the comparison stays fair.
const TABLE = /engine\.io-client[\\/]build[\\/]esm[\\/]transports[\\/]index\.js$/;
/**
 * The XHR long-polling module, which engine.io-client's index re-exports: unused here, yet kept by its
 * top-level statements (an unload listener, and an XMLHttpRequest made at load to probe for XHR2). Marked
 * free of side effects, it goes with the rest of polling.
 */
const POLLING_XHR = /engine\.io-client[\\/]build[\\/]esm[\\/]transports[\\/]polling-xhr\.js$/;

/**
 * engine.io-client's Socket, whose `_probe` tries a better transport (WebSocket, WebTransport) on a connection
 * that opened over polling. Nothing here ever probes: a WebSocket connection has nothing better, and a connection
 * that fell back to polling (src/client/transport-fallback.ts) does so because WebSocket had just failed, its
 * transport list then holds polling alone, so no upgrade passes engine.io's filter. The method becomes empty.
 */
const ENGINE_SOCKET = /engine\.io-client[\\/]build[\\/]esm[\\/]socket\.js$/;

function withoutProbe(code) {
  const start = code.indexOf('    _probe(name) {');
  const end = code.indexOf('    /**\n     * Called when connection is deemed open.', start);
  // A new engine.io-client that moved things fails the build here rather than shipping a half-removed method.
  if (start === -1 || end === -1) throw new Error('build-transports: engine.io-client Socket#_probe not found');
  return `${code.slice(0, start)}    _probe() {}\n${code.slice(end)}`;
}

export function websocketOnly() {
  return {
    name: 'websocket-only',
    load(id) {
      if (!TABLE.test(id)) return null;
      // The browser-field plugin maps this import to the browser file.
      return 'import { WS } from "./websocket.node.js";\nexport const transports = { websocket: WS };\n';
    },
    transform(code, id) {
      if (ENGINE_SOCKET.test(id)) return { code: withoutProbe(code), map: null };
      return POLLING_XHR.test(id) ? { code, map: null, moduleSideEffects: false } : null;
    },
  };
}
