// Rollup plugin: two helpers that socket.io-client and engine.io ship for old platforms, replaced in the
// browser bundles by what every browser we target has built in (the npm package's lib/ keeps the originals):
// - engine.io-client's URI parser (a large regular expression, "we could also have used the built-in URL
//   object", says its own comment) becomes `URL`, giving the fields socket.io-client and engine.io read:
//   source, protocol (without ':'), host (IPv6 without brackets), port, path, query (without '?'), queryKey;
// - engine.io-client's query-string helpers become `URLSearchParams` (the only query it builds is its own
//   `EIO=4&transport=websocket`, the same either way);
// - engine.io-parser's table-driven base64 decoder (for "b…" packets, which only polling sends) becomes `atob`.
// - socket.io-parser's binary attachments (finding, cutting out and putting back ArrayBuffers and Blobs) go: the
//   comet protocol is JSON only, the client sends no binary, and the server sends none (and refuses any).
// Together about 1.2 KB gzip. Applied to the size baseline too (rollup.config.js browserPlugins), so the
// comparison stays fair; the element and e2e tests run on what it builds.
const STAND_INS = [
  {
    id: /engine\.io-client[\\/]build[\\/]esm[\\/]contrib[\\/]parseuri\.js$/,
    code: `export function parse(source) {
  const url = new URL(/^[a-z][a-z0-9+.-]*:\\/\\//i.test(source) ? source : \`http://\${source}\`);
  return {
    source,
    protocol: url.protocol.slice(0, -1),
    host: url.hostname.replace(/^\\[(.*)\\]$/, '$1'),
    port: url.port,
    path: url.pathname,
    query: url.search.slice(1),
    queryKey: Object.fromEntries(url.searchParams),
  };
}
`,
  },
  {
    id: /engine\.io-client[\\/]build[\\/]esm[\\/]contrib[\\/]parseqs\.js$/,
    code: `export const encode = (query) => new URLSearchParams(query).toString();
export const decode = (query) => Object.fromEntries(new URLSearchParams(query));
`,
  },
  {
    id: /socket\.io-parser[\\/]build[\\/]esm[\\/]is-binary\.js$/,
    code: 'export const isBinary = () => false;\nexport const hasBinary = () => false;\n',
  },
  {
    id: /socket\.io-parser[\\/]build[\\/]esm[\\/]binary\.js$/,
    code: 'export const deconstructPacket = (packet) => ({ packet, buffers: [] });\nexport const reconstructPacket = (packet) => packet;\n',
  },
  {
    id: /engine\.io-parser[\\/]build[\\/]esm[\\/]contrib[\\/]base64-arraybuffer\.js$/,
    code: 'export const decode = (base64) => Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)).buffer;\n',
  },
];

export function nativeStandIns() {
  return {
    name: 'native-stand-ins',
    load(id) {
      return STAND_INS.find((s) => s.id.test(id))?.code ?? null;
    },
  };
}
