/**
 * The README's API tables of <comet-chat> must agree with custom-elements.json, which
 * `npm run build` makes from the element's source. Regenerate with `node scripts/build-element-api.mjs`.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';

interface Named {
  name: string;
  description?: string;
  default?: string;
  fieldName?: string;
  type?: { text: string };
}
interface Member extends Named {
  kind: string;
  static?: boolean;
  privacy?: string;
  parameters?: Named[];
}
interface Declaration extends Named {
  tagName?: string;
  attributes?: Named[];
  members?: Member[];
  events?: Named[];
  cssParts?: Named[];
  cssProperties?: Named[];
}

const MANIFEST = 'custom-elements.json';
const DOC = 'README.md';
/** The generated section of the README. */
function docSection(): string[] {
  const text = readFileSync(DOC, 'utf8');
  const from = text.indexOf('<!-- element-api:start -->');
  const to = text.indexOf('<!-- element-api:end -->');
  assert.ok(from !== -1 && to > from, `${DOC} has no element-api section`);
  return text.slice(from, to).split('\n');
}

function element(): Declaration {
  assert.ok(existsSync(MANIFEST), `${MANIFEST} is missing: run npm run build first`);
  const manifest = JSON.parse(readFileSync(MANIFEST, 'utf8')) as { modules: { declarations?: Declaration[] }[] };
  const found = manifest.modules.flatMap((m) => m.declarations ?? []).find((d) => d.tagName === 'comet-chat');
  assert.ok(found, `${MANIFEST} declares no <comet-chat>`);
  return found;
}

/** The rows of the first table under `### title`, each a map from column name to cell text (backticks and escapes removed). */
function docTable(title: string): Map<string, Record<string, string>> {
  const lines = docSection();
  const start = lines.indexOf(`### ${title}`);
  assert.ok(start !== -1, `${DOC} has no "### ${title}" section`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith('### ')) break;
    if (!line.startsWith('|')) continue;
    // Split on pipes that are not escaped.
    rows.push(
      line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((c) => c.trim().replace(/\\\|/g, '|')),
    );
  }
  const [head, rule, ...body] = rows;
  assert.ok(head && rule, `the "${title}" section of ${DOC} has no table`);
  const table = new Map<string, Record<string, string>>();
  for (const cells of body) {
    const row = Object.fromEntries(head.map((h, i) => [h, unquote(cells[i] ?? '')]));
    const key = row[head[0]];
    assert.ok(!table.has(key), `${DOC}: "${key}" is listed twice under ${title}`);
    table.set(key, row);
  }
  return table;
}

const unquote = (cell: string): string => cell.replace(/^`(.*)`$/, '$1');
const oneLine = (text: string | undefined): string => (text ?? '').replace(/\s+/g, ' ').trim();

function assertSameNames(title: string, documented: Map<string, unknown>, actual: string[]): void {
  assert.deepEqual(
    [...documented.keys()].sort(),
    [...actual].sort(),
    `the names under "${title}" in ${DOC} differ from ${MANIFEST}`,
  );
}

test('every attribute is documented with its property, type, default and description', () => {
  const attributes = element().attributes ?? [];
  assert.ok(
    attributes.some((a) => a.name === 'server') && attributes.some((a) => a.name === 'dev-id'),
    'the manifest lost the basic attributes',
  );
  const doc = docTable('Attributes');
  assertSameNames(
    'Attributes',
    doc,
    attributes.map((a) => a.name),
  );
  for (const a of attributes) {
    const row = doc.get(a.name)!;
    assert.equal(row.property, a.fieldName ?? '', `property of ${a.name}`);
    assert.equal(row.type, a.type?.text ?? '', `type of ${a.name}`);
    assert.equal(row.default, a.default ?? '', `default of ${a.name}`);
    assert.equal(row.description, oneLine(a.description), `description of ${a.name}`);
  }
});

test('every event is documented', () => {
  const events = element().events ?? [];
  assert.ok(events.length > 0, 'the manifest lists no events');
  const doc = docTable('Events');
  assertSameNames(
    'Events',
    doc,
    events.map((e) => e.name),
  );
  for (const e of events)
    assert.equal(doc.get(e.name)!.description, oneLine(e.description), `description of ${e.name}`);
});

test('every CSS part is documented', () => {
  const parts = element().cssParts ?? [];
  assert.ok(parts.length > 0, 'the manifest lists no CSS parts');
  const doc = docTable('CSS parts');
  assertSameNames(
    'CSS parts',
    doc,
    parts.map((p) => p.name),
  );
  for (const p of parts)
    assert.equal(doc.get(p.name)!.description, oneLine(p.description), `description of part ${p.name}`);
});

test('every CSS custom property is documented with its default', () => {
  const props = element().cssProperties ?? [];
  assert.ok(props.length > 0, 'the manifest lists no CSS custom properties');
  const doc = docTable('CSS custom properties');
  assertSameNames(
    'CSS custom properties',
    doc,
    props.map((p) => p.name),
  );
  for (const p of props) {
    const row = doc.get(p.name)!;
    assert.equal(row.default, p.default ?? '', `default of ${p.name}`);
    assert.equal(row.description, oneLine(p.description), `description of ${p.name}`);
  }
});

test('the public methods and attribute-less properties are documented', () => {
  const members = (element().members ?? []).filter((m) => !m.static && (m.privacy ?? 'public') === 'public');
  const attributeFields = new Set((element().attributes ?? []).map((a) => a.fieldName));
  const methods = docTable('Methods');
  const methodNames = [...methods.keys()].map((k) => k.replace(/\(.*$/, ''));
  assert.deepEqual(
    methodNames.sort(),
    members
      .filter((m) => m.kind === 'method')
      .map((m) => m.name)
      .sort(),
  );
  const props = docTable('Properties');
  assertSameNames(
    'Properties',
    props,
    members.filter((m) => m.kind === 'field' && !attributeFields.has(m.name)).map((m) => m.name),
  );
});
