#!/usr/bin/env node
// Runs node:test over the given *.test.ts files and every one under the given folders (Node 20's --test takes no globs).
// Files run one at a time, or `--concurrency=N` at a time for suites whose files share nothing (docs/testing.md).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const dirs = process.argv.slice(2);
const flag = dirs[0]?.startsWith('--') ? dirs.shift() : '--concurrency=1';
const concurrency = Number(/^--concurrency=([1-9]\d*)$/.exec(flag)?.[1]);
if (dirs.length === 0 || !concurrency) {
  console.error('usage: run-node-tests.mjs [--concurrency=N] DIR|FILE...');
  process.exit(2);
}
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith('.test.ts')) files.push(path);
  }
};
dirs.forEach((path) => (statSync(path).isDirectory() ? walk(path) : files.push(path)));
if (files.length === 0) {
  console.error(`no test files under ${dirs.join(', ')}`);
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
