// Browser bundles (the npm entry points come from tsc into lib/), each with a source map beside it:
// - dist/comet-chat.js: one self-contained, minified ES module that registers <comet-chat>;
// - dist/comet-chat-*.js: what dist/comet-chat.js loads only when needed, one standalone module each
//   (scripts/build-chunks.mjs);
// - dist/CometServerApi.js: a classic script (IIFE) with the seed's CometServerApi facade.
// Sizes are checked against the budget by scripts/build-size.mjs, run right after this.
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import esbuild from 'rollup-plugin-esbuild';
import { browserFieldOverrides } from './scripts/build-browser-field.mjs';
import { CHUNKS, chunkTreeshake, lazyChunks } from './scripts/build-chunks.mjs';
import { nativeStandIns } from './scripts/build-natives.mjs';
import { minifyLitTemplates } from './scripts/build-templates.mjs';
import { websocketOnly } from './scripts/build-transports.mjs';

/** Browsers that run module scripts and custom elements; lit 3 itself is ES2021. */
const TARGET = 'es2021';

/** The plugin chain of every browser build, the size baseline included (so the ratio is fair). */
export function browserPlugins() {
  return [
    websocketOnly(),
    nativeStandIns(),
    // With browser: true, socket.io-client and engine.io-client resolve to their browser files
    // (no ws, no Node globals); browserFieldOverrides carries that into their own imports.
    browserFieldOverrides(),
    nodeResolve({ browser: true, preferBuiltins: false }),
    // Our lit templates only (src/element): css and html text without the whitespace browsers ignore.
    minifyLitTemplates(),
    esbuild({ target: TARGET, tsconfig: 'tsconfig.json', sourceMap: true }),
    // Only the banner's /*! comment survives: one notice instead of a copy per lit module.
    terser({
      module: true,
      toplevel: true,
      ecma: 2020,
      compress: { passes: 3, pure_getters: true, unsafe_arrows: true },
      mangle: { properties: { regex: /^_(?![_$]|placeholder$)/ } },
      format: { comments: /^!/ },
    }),
  ];
}

const SIO = 'socket.io-client (MIT, Guillermo Rauch)';
const banner = (...bundled) => `/*! comet-chat (MIT). Bundles ${bundled.join(' and ')}. */`;

/** A build that pulls node-only code into the browser bundle is a bug: fail, don't warn. */
function onwarn(warning, warn) {
  if (
    warning.code === 'UNRESOLVED_IMPORT' ||
    warning.code === 'MISSING_GLOBAL_NAME' ||
    warning.code === 'MISSING_NAME_OPTION_FOR_IIFE_EXPORT'
  ) {
    throw new Error(`${warning.code}: ${warning.message}`);
  }
  warn(warning);
}

export default [
  {
    input: 'src/element/define.ts',
    output: {
      file: 'dist/comet-chat.js',
      format: 'es',
      sourcemap: true,
      banner: banner('lit (BSD-3-Clause, Google LLC)', SIO),
    },
    plugins: [lazyChunks(), ...browserPlugins()],
    onwarn,
  },
  ...CHUNKS.map(({ source: input, file, bundles }) => ({
    input,
    output: {
      file: `dist/${file}`,
      format: 'es',
      sourcemap: true,
      ...(bundles.length ? { banner: banner(...bundles) } : {}),
    },
    plugins: browserPlugins(),
    treeshake: chunkTreeshake,
    onwarn,
  })),
  {
    input: 'src/compat/global.ts',
    // A classic script has no URL to load chunks relative to: what the client loads lazily is inside it.
    output: {
      file: 'dist/CometServerApi.js',
      format: 'iife',
      sourcemap: true,
      banner: banner(SIO),
      inlineDynamicImports: true,
    },
    plugins: browserPlugins(),
    onwarn,
  },
];
