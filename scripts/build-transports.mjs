// Rollup plugin: engine.io-client's transport table without WebTransport.
// CometClient asks for `websocket` (default) or `polling` only (CometClientOptions.transports), and
// socket.io-client cannot tree-shake the table, so WebTransport would ship unused (~0.8 KB gzip).
const TABLE = /engine\.io-client[\\/]build[\\/]esm[\\/]transports[\\/]index\.js$/;

export function websocketAndPollingOnly() {
  return {
    name: 'websocket-and-polling-only',
    load(id) {
      if (!TABLE.test(id)) return null;
      // The browser-field plugin maps these two imports to the browser files.
      return [
        'import { XHR } from "./polling-xhr.node.js";',
        'import { WS } from "./websocket.node.js";',
        'export const transports = { websocket: WS, polling: XHR };',
      ].join('\n');
    },
  };
}
