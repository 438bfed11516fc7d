#!/usr/bin/env node
// Writes docs/element-api.md (the README's API tables) from custom-elements.json.
// Run it after `npm run build` whenever the element's public surface or its doc comments change;
// test/docs/element-api.test.ts fails while the two disagree.
import { readFileSync, writeFileSync } from 'node:fs';

const MANIFEST = 'custom-elements.json';
const OUT = 'docs/element-api.md';
const TAG = 'comet-chat';

/** One table cell: one line, pipes escaped. */
const cell = (text) => (text ?? '').replace(/\s+/g, ' ').trim().replace(/\|/g, '\\|');
const code = (text) => (text ? `\`${cell(text)}\`` : '');

function table(head, rows) {
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
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
    (element.attributes ?? []).map((a) => [code(a.name), code(a.fieldName), code(a.type?.text), code(a.default), cell(a.description)]),
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
      .map((m) => [code(`${m.name}(${(m.parameters ?? []).map((p) => p.name).join(', ')})`), code(m.return?.type?.text), cell(m.description)]),
  ],
  ['Events', ['event', 'description'], (element.events ?? []).map((e) => [code(e.name), cell(e.description)])],
  ['CSS parts', ['part', 'description'], (element.cssParts ?? []).map((p) => [code(p.name), cell(p.description)])],
  [
    'CSS custom properties',
    ['property', 'default', 'description'],
    (element.cssProperties ?? []).map((p) => [code(p.name), code(p.default), cell(p.description)]),
  ],
];

const doc = [
  `# \`<${TAG}>\` API`,
  '',
  `Generated from \`${MANIFEST}\` (made by \`npm run build\` with @custom-elements-manifest/analyzer) by`,
  '`node scripts/build-element-api.mjs`; `test/docs/element-api.test.ts` checks that both agree.',
  '',
  cell(element.description),
  '',
  ...sections.flatMap(([title, head, rows]) => [`## ${title}`, '', table(head, rows), '']),
].join('\n');

writeFileSync(OUT, doc);
console.log(`wrote ${OUT}`);
