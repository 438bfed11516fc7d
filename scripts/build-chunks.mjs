// Rollup plugin: modules the element loads only when needed (`import()` in the source) become files of their own
// next to dist/comet-chat.js, built as standalone ES modules (rollup.config.js adds one build per chunk).
// Each chunk imports nothing: whatever it needs is bundled into it. Rollup's own code splitting would make a chunk
// import shared code back from the entry by its URL, and a page that loaded the entry under another URL (a `?v=2`
// query, another host name) would then evaluate a second copy of the whole bundle.
// The browser resolves `import('./comet-chat-ru.js')` against the entry's own URL: the server serves the chunks
// beside it (src/server/fronts/http/static.ts), and the npm package ships them (scripts/build-packages.mjs).
import { resolve } from 'node:path';

/**
 * Each chunk: its source module, its file in dist/, when the element loads it (for the size table), and what
 * else it bundles (for its license banner).
 */
export const CHUNKS = [
  { source: 'src/element/translations/ru.ts', file: 'comet-chat-ru.js', when: 'the Russian UI', bundles: [] },
  {
    source: 'src/client/polling.ts',
    file: 'comet-chat-polling.js',
    when: 'networks that refuse WebSocket',
    bundles: ['socket.io-client (MIT, Guillermo Rauch)'],
  },
  { source: 'src/client/shared.ts', file: 'comet-chat-shared.js', when: 'tabs sharing one connection', bundles: [] },
  {
    source: 'src/element/controllers/lifecycle.ts',
    file: 'comet-chat-lifecycle.js',
    when: 'message actions, reactions, replies and "seen by", loaded as the element is made',
    bundles: [],
  },
  {
    source: 'src/element/controllers/launcher.ts',
    file: 'comet-chat-launcher.js',
    when: 'launcher mode, the title badge and the sound',
    bundles: [],
  },
];

const bySource = new Map(CHUNKS.map(({ source, file }) => [resolve(source), file]));

/**
 * In a chunk's build: socket.io-client's and engine.io-client's entry modules only re-export (socket.io-client's
 * also sets up its Manager cache), so a chunk that takes one export from them takes that export's modules alone.
 */
export const chunkTreeshake = {
  moduleSideEffects: (id) => !/(socket|engine)\.io-client[\\/]build[\\/]esm[\\/]index\.js$/.test(id),
};

/** In the entry's build: a dynamic import of a chunk's source stays an import of the chunk's file. */
export function lazyChunks() {
  return {
    name: 'lazy-chunks',
    async resolveId(source, importer, options) {
      if (!importer) return null;
      const resolved = await this.resolve(source, importer, { ...options, skipSelf: true });
      const file = resolved && bySource.get(resolved.id);
      return file ? { id: `./${file}`, external: 'absolute' } : null;
    },
  };
}
