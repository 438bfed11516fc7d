#!/usr/bin/env node
// The coverage gate of `npm test`: joins the line coverage c8 gathered over the Node suites (coverage/node)
// with what web-test-runner gathered in Chromium (coverage/element), prints it per area, and fails when an
// area is under its threshold (docs/testing.md). The two tools map the TypeScript through different
// transpilers, so they are joined line by line: a line counts as covered when either run covered it.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import libCoverage from 'istanbul-lib-coverage';

const ROOT = resolve(import.meta.dirname, '..');
const SOURCES = ['coverage/node/coverage-final.json', 'coverage/element/coverage-final.json'];
/** Line coverage each area must reach, in per cent. */
const THRESHOLDS = [
  { area: 'src/protocol/', min: 90 },
  { area: 'src/server/core/', min: 90 },
  { area: 'src/client/', min: 90 },
  { area: 'src/', min: 85 },
];

/** Repository path → line → covered. */
const lines = new Map();
for (const file of SOURCES) {
  if (!existsSync(resolve(ROOT, file))) {
    console.error(`coverage: ${file} is missing (run npm test)`);
    process.exit(1);
  }
  const map = libCoverage.createCoverageMap(JSON.parse(readFileSync(resolve(ROOT, file), 'utf8')));
  for (const path of map.files()) {
    const rel = relative(ROOT, resolve(ROOT, path));
    if (!rel.startsWith('src/')) continue;
    const known = lines.get(rel) ?? new Map();
    for (const [line, hits] of Object.entries(map.fileCoverageFor(path).getLineCoverage())) {
      known.set(line, known.get(line) === true || hits > 0);
    }
    lines.set(rel, known);
  }
}

let failed = false;
const rows = [];
for (const { area, min } of THRESHOLDS) {
  let total = 0;
  let covered = 0;
  for (const [path, known] of lines) {
    if (!path.startsWith(area)) continue;
    total += known.size;
    for (const hit of known.values()) if (hit) covered++;
  }
  const pct = total === 0 ? 0 : (100 * covered) / total;
  const ok = pct >= min;
  failed ||= !ok;
  rows.push(`| \`${area}\` | ${pct.toFixed(1)} % | ${covered} / ${total} | ≥ ${min} % | ${ok ? 'ok' : 'under'} |`);
}
const table = ['| area | lines | covered / total | threshold | |', '|---|---:|---:|---:|---|', ...rows].join('\n');
console.log(table);
// The least covered files, for whoever has to raise a figure.
const worst = [...lines]
  .map(([path, known]) => ({ path, total: known.size, missed: [...known.values()].filter((h) => !h).length }))
  .filter((f) => f.missed > 0)
  .sort((a, b) => b.missed - a.missed)
  .slice(0, 10)
  .map((f) => `  ${f.path}: ${f.missed} of ${f.total} lines not run`);
console.log(`most lines not run:\n${worst.join('\n')}`);
writeFileSync(resolve(ROOT, 'coverage/summary.md'), `${table}\n`);
if (failed) {
  console.error('coverage: under threshold');
  process.exit(1);
}
