// Rollup plugin: applies a package's "browser" field to imports between the package's own files.
// @rollup/plugin-node-resolve applies it only one import deep from a package entry, so
// engine.io-client/build/esm/transports/index.js would pull in the Node transports (ws, xmlhttprequest-ssl).
// The nearest package.json that has a "browser" object is the one that maps (engine.io-client ships
// one in build/esm/ with keys relative to that folder).
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const EMPTY = '\0browser-field-empty';

export function browserFieldOverrides() {
  const maps = new Map(); // folder -> { root, browser } | null

  function nearestBrowserMap(dir) {
    if (maps.has(dir)) return maps.get(dir);
    let found = null;
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      if (pkg.browser && typeof pkg.browser === 'object') found = { root: dir, browser: pkg.browser };
      else if (pkg.name)
        found = null; // a package root without a map: stop here
      else found = parentMap(dir);
    } catch {
      found = parentMap(dir);
    }
    maps.set(dir, found);
    return found;
  }
  const parentMap = (dir) =>
    dirname(dir) === dir || dir.endsWith('node_modules') ? null : nearestBrowserMap(dirname(dir));

  return {
    name: 'browser-field-overrides',
    resolveId(source, importer) {
      if (!importer || !source.startsWith('.') || !importer.includes('node_modules')) return null;
      const map = nearestBrowserMap(dirname(importer));
      if (!map) return null;
      const key = `./${relative(map.root, resolve(dirname(importer), source))}`;
      const target = map.browser[key] ?? map.browser[`${key}.js`];
      if (target === false) return EMPTY;
      return typeof target === 'string' ? resolve(map.root, target) : null;
    },
    load: (id) => (id === EMPTY ? 'export default {};' : null),
  };
}
