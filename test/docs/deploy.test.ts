/**
 * docs/deploy.md shows the deployment files verbatim (each after a `<!-- file: PATH -->` marker), so
 * what people copy is what test/deploy runs; its environment variables are ones the command reads;
 * and systemd accepts the unit.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { USAGE } from '../../src/server/cli.js';

const DOC = readFileSync('docs/deploy.md', 'utf8');
const UNIT = 'deploy/systemd/comet-chat@.service';

test('every file docs/deploy.md shows is the file in deploy/, in full', () => {
  const shown = [...DOC.matchAll(/<!-- file: (\S+) -->\n```\w*\n([\s\S]*?)```\n/g)].map((m) => ({
    path: m[1],
    text: m[2],
  }));
  assert.deepEqual(shown.map((s) => s.path).sort(), ['deploy/nginx/comet-chat.conf', UNIT]);
  for (const { path, text } of shown)
    assert.equal(text, readFileSync(path, 'utf8'), `${path} differs from docs/deploy.md`);
});

test('the environment docs/deploy.md sets is read by comet-chat-server', () => {
  const variables = new Set([...DOC.matchAll(/^(COMET_[A-Z_]+)=/gm)].map((m) => m[1]));
  assert.ok(variables.size >= 6, [...variables].join(' '));
  for (const name of variables) assert.ok(USAGE.includes(name), `${name} is not in comet-chat-server --help`);
});

test('systemd-analyze verify accepts the unit', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'comet-unit-'));
  try {
    copyFileSync(UNIT, join(dir, 'comet-chat@.service'));
    symlinkSync('comet-chat@.service', join(dir, 'comet-chat@1.service'));
    const { stderr } = await promisify(execFile)('systemd-analyze', [
      'verify',
      '--man=no',
      join(dir, 'comet-chat@1.service'),
    ]);
    assert.equal(stderr, '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
