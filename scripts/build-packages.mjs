#!/usr/bin/env node
// Fills the two published packages from the build (run by `npm run build`, after tsc, rollup and cem):
//   packages/comet-chat         the element, the browser client, the protocol types, the compat facade
//   packages/comet-chat-server  the server, its CLI, the stores and fronts, and the files it serves
// Each gets a copy of its part of lib/ (without tsc's source maps, whose sources are not shipped), the
// browser bundles, and what else it serves. Then every import of every shipped module is checked:
// relative ones must stay inside the package, bare ones must be Node built-ins or declared dependencies
// (optional peers for type-only imports), so the element package can never pull in server code.
import { cpSync, existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '..');

/**
 * The browser bundles rollup writes to dist/, with the chunks comet-chat.js loads only when needed
 * (other builds, such as the WordPress zip, share that folder).
 */
const BUNDLES = /^(comet-chat(-[a-z0-9]+)?|CometServerApi)\.js(\.map)?$/;

/** [from (repository), to (package)] pairs; `skip` names files left out, `only` the only ones taken. */
export const PACKAGES = {
  'packages/comet-chat': {
    copy: [
      ['lib/element', 'lib/element'],
      ['lib/client', 'lib/client'],
      // schemas.ts is the server's validation (zod); the browser side never imports it.
      ['lib/protocol', 'lib/protocol', { skip: /^schemas\./ }],
      ['lib/compat', 'lib/compat'],
      ['dist', 'dist', { only: BUNDLES }],
      ['custom-elements.json', 'custom-elements.json'],
    ],
  },
  'packages/comet-chat-server': {
    copy: [
      ['lib/server', 'lib/server'],
      ['lib/protocol', 'lib/protocol'],
      // What the server serves: /comet-chat.js, /CometServerApi.js, and the demo site with --demo.
      ['dist', 'dist', { only: BUNDLES }],
      ['demo', 'demo'],
    ],
  },
};

const BUILT = ['lib', 'dist', 'demo', 'custom-elements.json'];

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else out.push(path);
  }
  return out;
}

function fill(pkgDir, { copy }) {
  for (const name of BUILT) rmSync(join(pkgDir, name), { recursive: true, force: true });
  for (const [from, to, { skip, only } = {}] of copy) {
    const source = join(ROOT, from);
    if (!existsSync(source)) throw new Error(`${from} is missing: run the whole \`npm run build\``);
    cpSync(source, join(pkgDir, to), {
      recursive: true,
      filter: (path) => {
        const name = relative(source, path);
        if (name === '' || statSync(path).isDirectory()) return true;
        if (from.startsWith('lib') && name.endsWith('.map')) return false;
        return !(skip && skip.test(name)) && !(only && !only.test(name));
      },
    });
  }
  // tsc's output points at its source maps, which stay behind.
  for (const file of walk(join(pkgDir, 'lib'))) {
    if (!file.endsWith('.js')) continue;
    const text = readFileSync(file, 'utf8');
    const stripped = text.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');
    if (stripped !== text) writeFileSync(file, stripped);
  }
}

/** The modules a file imports (static, dynamic with a literal, re-exports), comments ignored: TypeScript's own pre-parser. */
export function importsOf(text) {
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
}

const packageName = (spec) => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
const builtins = new Set(builtinModules);

/** Problems with the imports of a filled package: each a line naming the file and the import. */
export function checkImports(pkgDir) {
  const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  const deps = new Set(Object.keys(manifest.dependencies ?? {}));
  const peers = new Set(Object.keys(manifest.peerDependencies ?? {}));
  const problems = [];
  const modules = walk(pkgDir).filter((f) => /\.(js|d\.ts)$/.test(f) && !f.includes(`${pkgDir}/node_modules/`));
  for (const file of modules) {
    const where = relative(ROOT, file);
    const isTypes = file.endsWith('.d.ts');
    for (const spec of importsOf(readFileSync(file, 'utf8'))) {
      if (spec.startsWith('.')) {
        let target = resolve(dirname(file), spec);
        if (isTypes) target = target.replace(/\.js$/, '.d.ts');
        if (!target.startsWith(pkgDir + '/')) problems.push(`${where}: ${spec} leaves the package`);
        else if (!existsSync(target)) problems.push(`${where}: ${spec} is not in the package`);
        continue;
      }
      if (spec.startsWith('node:') || builtins.has(spec)) continue;
      const name = packageName(spec);
      if (deps.has(name)) continue;
      // Type-only imports of an optional peer (comet-chat/react's `react`, comet-chat/vue's `vue`).
      if (isTypes && (peers.has(name) || peers.has(`@types/${name}`))) continue;
      problems.push(`${where}: imports ${spec}, which is not a dependency of ${manifest.name}`);
    }
  }
  return problems;
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const problems = [];
  for (const [dir, spec] of Object.entries(PACKAGES)) {
    const pkgDir = join(ROOT, dir);
    fill(pkgDir, spec);
    problems.push(...checkImports(pkgDir));
  }
  if (problems.length > 0) {
    console.error(`build-packages: ${problems.length} import problem(s):\n  ${problems.join('\n  ')}`);
    process.exit(1);
  }
  console.log(
    `build-packages: filled ${Object.keys(PACKAGES).join(' and ')}; every import resolves inside its package`,
  );
}
