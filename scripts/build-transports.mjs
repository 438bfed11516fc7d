// Rollup plugin: engine.io-client's transport table with the WebSocket transport alone.
// socket.io-client cannot tree-shake the table, so every transport in it ships. The browser bundles never
// ask for anything else: <comet-chat> and the CometServerApi facade build their CometClient without
// `transports`, so it is always the default ['websocket'], and neither bundle exposes CometClient itself.
// Long-polling (~0.6 KB gzip) and WebTransport (~0.8 KB) were dead code in them. CometClient from the npm
// package (lib/, through the page's own bundler) keeps every transport, `polling` included.
// Applied to the size baseline too (rollup.config.js browserPlugins), so the comparison stays fair.
const TABLE = /engine\.io-client[\\/]build[\\/]esm[\\/]transports[\\/]index\.js$/;
/**
 * The XHR long-polling module, which engine.io-client's index re-exports: unused here, yet kept by its
 * top-level statements (an unload listener, and an XMLHttpRequest made at load to probe for XHR2). Marked
 * free of side effects, it goes with the rest of polling.
 */
const POLLING_XHR = /engine\.io-client[\\/]build[\\/]esm[\\/]transports[\\/]polling-xhr\.js$/;

export function websocketOnly() {
  return {
    name: 'websocket-only',
    load(id) {
      if (!TABLE.test(id)) return null;
      // The browser-field plugin maps this import to the browser file.
      return 'import { WS } from "./websocket.node.js";\nexport const transports = { websocket: WS };\n';
    },
    transform(code, id) {
      return POLLING_XHR.test(id) ? { code, map: null, moduleSideEffects: false } : null;
    },
  };
}
