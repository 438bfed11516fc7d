#!/usr/bin/env node
// Writes the README's API tables of <comet-chat> (between its element-api markers) from custom-elements.json.
// Run it after `npm run build` whenever the element's public surface or its doc comments change;
// test/docs/element-api.test.ts fails while the two disagree.
import { readFileSync, writeFileSync } from 'node:fs';

const MANIFEST = 'custom-elements.json';
const OUT = 'README.md';
const START = '<!-- element-api:start -->';
const END = '<!-- element-api:end -->';
const TAG = 'comet-chat';

/** One table cell: one line, pipes escaped. */
const cell = (text) => (text ?? '').replace(/\s+/g, ' ').trim().replace(/\|/g, '\\|');
const code = (text) => (text ? `\`${cell(text)}\`` : '');

function table(head, rows) {
  return [
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

const manifest = JSON.parse(readFileSync(MANIFEST, 'utf8'));
const element = manifest.modules.flatMap((m) => m.declarations ?? []).find((d) => d.tagName === TAG);
if (!element) throw new Error(`${MANIFEST} has no <${TAG}>`);
const publicMembers = (element.members ?? []).filter((m) => !m.static && (m.privacy ?? 'public') === 'public');
const attributeFields = new Set((element.attributes ?? []).map((a) => a.fieldName));

const sections = [
  [
    'Attributes',
    ['attribute', 'property', 'type', 'default', 'description'],
    (element.attributes ?? []).map((a) => [
      code(a.name),
      code(a.fieldName),
      code(a.type?.text),
      code(a.default),
      cell(a.description),
    ]),
  ],
  [
    'Properties',
    ['property', 'type', 'description'],
    publicMembers
      .filter((m) => m.kind === 'field' && !attributeFields.has(m.name))
      .map((m) => [code(m.name), code(m.type?.text), cell(`${m.readonly ? '(read-only) ' : ''}${m.description}`)]),
  ],
  [
    'Methods',
    ['method', 'returns', 'description'],
    publicMembers
      .filter((m) => m.kind === 'method')
      .map((m) => [
        code(`${m.name}(${(m.parameters ?? []).map((p) => p.name).join(', ')})`),
        code(m.return?.type?.text),
        cell(m.description),
      ]),
  ],
  ['Events', ['event', 'description'], (element.events ?? []).map((e) => [code(e.name), cell(e.description)])],
  ['CSS parts', ['part', 'description'], (element.cssParts ?? []).map((p) => [code(p.name), cell(p.description)])],
  [
    'CSS custom properties',
    ['property', 'default', 'description'],
    (element.cssProperties ?? []).map((p) => [code(p.name), code(p.default), cell(p.description)]),
  ],
];

const tables = [
  START,
  `<!-- generated from ${MANIFEST} by scripts/build-element-api.mjs; test/docs/element-api.test.ts checks that both agree -->`,
  '',
  ...sections.flatMap(([title, head, rows]) => [`### ${title}`, '', table(head, rows), '']),
  END,
].join('\n');

const readme = readFileSync(OUT, 'utf8');
const from = readme.indexOf(START);
const to = readme.indexOf(END);
if (from === -1 || to < from) throw new Error(`${OUT} has no ${START} … ${END} section`);
writeFileSync(OUT, readme.slice(0, from) + tables + readme.slice(to + END.length));
console.log(`wrote ${OUT}`);
