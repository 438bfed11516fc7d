#!/usr/bin/env node
// Size report of the browser bundles, run by `npm run build` right after rollup.
// Prints min / gzip / brotli per bundle (the initial file, then each chunk it loads only when needed), and exits 1
// when a bundle is over its budget.
// `--docs` adds a baseline (lit + socket.io-client alone, bundled by the same plugin chain in this same run) and
// rewrites the table in docs/bundle.md (between the size-table markers). The baseline changes only with lit or
// socket.io-client, and bundling it (with the plugins' TypeScript and terser) took 5 of the script's 5.5 s of CPU:
// every build skips it.
import { readFileSync, writeFileSync } from 'node:fs';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { CHUNKS } from './build-chunks.mjs';

/** Budgets on the gzip size, in bytes (1 KB = 1000 bytes, so the budget holds under either reading). */
const BUDGETS = { 'dist/comet-chat.js': 27_000 };
/** [file, label]: what a page loads first, then what it loads only when needed. */
const BUNDLES = [
  ['dist/comet-chat.js', '`dist/comet-chat.js` (initial)'],
  ...CHUNKS.map(({ file, when }) => [`dist/${file}`, `\`dist/${file}\` (lazy, for ${when})`]),
  ['dist/CometServerApi.js', '`dist/CometServerApi.js`'],
];
const DOCS = 'docs/bundle.md';
const START = '<!-- size-table:start -->';
const END = '<!-- size-table:end -->';

/** What a hand-made element would start from: all of lit, plus socket.io-client's `io`. */
const BASELINE_SOURCE = "export * from 'lit';\nexport { io } from 'socket.io-client';\n";

function measure(code) {
  const bytes = Buffer.from(code);
  return {
    min: bytes.length,
    gzip: gzipSync(bytes, { level: 9 }).length,
    brotli: brotliCompressSync(bytes, {
      params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
    }).length,
  };
}

async function baselineCode() {
  // Loaded only for the baseline: the plugin chain brings TypeScript, esbuild and terser with it.
  const { rollup } = await import('rollup');
  const { browserPlugins } = await import('../rollup.config.js');
  const id = '\0size-baseline';
  const virtual = {
    name: 'size-baseline',
    resolveId: (s) => (s === id ? id : null),
    load: (s) => (s === id ? BASELINE_SOURCE : null),
  };
  const bundle = await rollup({ input: id, plugins: [virtual, ...browserPlugins()], onwarn: () => {} });
  try {
    const { output } = await bundle.generate({ format: 'es' });
    return output[0].code;
  } finally {
    await bundle.close();
  }
}

const kb = (n) => `${(n / 1000).toFixed(2)} KB`;

function table(rows) {
  const lines = ['| bundle | min | gzip | brotli | budget (gzip) |', '| --- | ---: | ---: | ---: | ---: |'];
  for (const r of rows) {
    const budget =
      BUDGETS[r.name] === undefined ? '—' : `${kb(BUDGETS[r.name])} ${r.gzip <= BUDGETS[r.name] ? 'ok' : '**over**'}`;
    lines.push(`| ${r.label} | ${kb(r.min)} | ${kb(r.gzip)} | ${kb(r.brotli)} | ${budget} |`);
  }
  return lines.join('\n');
}

async function main() {
  const docs = process.argv.includes('--docs');
  const rows = BUNDLES.map(([name, label]) => ({ name, label, ...measure(readFileSync(name)) }));
  let report = table(rows);
  if (docs) {
    const base = {
      name: 'baseline',
      label: 'baseline: lit + socket.io-client alone',
      ...measure(await baselineCode()),
    };
    const element = rows[0];
    const ratio =
      `\`dist/comet-chat.js\` is ${(element.gzip / base.gzip).toFixed(2)}× the baseline (gzip); ` +
      `the element, client and protocol add ${kb(element.gzip - base.gzip)} gzip.`;
    report = `${table([...rows, base])}\n\n${ratio}`;
  }
  console.log(`\nBundle sizes (1 KB = 1000 bytes)\n\n${report}\n`);

  if (docs) {
    const doc = readFileSync(DOCS, 'utf8');
    const a = doc.indexOf(START);
    const b = doc.indexOf(END);
    if (a === -1 || b < a) throw new Error(`${DOCS} lacks the ${START} … ${END} markers`);
    writeFileSync(DOCS, `${doc.slice(0, a + START.length)}\n${report}\n${doc.slice(b)}`);
    console.log(`updated ${DOCS}`);
  }

  const over = rows.filter((r) => BUDGETS[r.name] !== undefined && r.gzip > BUDGETS[r.name]);
  for (const r of over) console.error(`over budget: ${r.name} is ${kb(r.gzip)} gzip, budget ${kb(BUDGETS[r.name])}`);
  if (over.length > 0) process.exit(1);
}

await main();
