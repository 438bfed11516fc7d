// The WordPress plugin's translations: which strings its PHP, JS and block.json hand to WordPress's
// i18n functions, reading a .po file, and writing what WordPress 6.1 loads (.mo for PHP, Jed JSON
// for scripts). Used by the build (scripts/build-wp.mjs) and by the test that every string is translated.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export const TEXT_DOMAIN = 'comet-chat';

const CALL = /\b(?:__|_e|esc_html__|esc_html_e|esc_attr__|esc_attr_e)\(\s*'((?:[^'\\]|\\.)*)'\s*,\s*'([a-z-]+)'\s*\)/g;
const CONTEXT_CALL =
  /\b(?:_x|esc_html_x|esc_attr_x)\(\s*'((?:[^'\\]|\\.)*)'\s*,\s*'((?:[^'\\]|\\.)*)'\s*,\s*'([a-z-]+)'\s*\)/g;
const unquote = (s) => s.replace(/\\(['\\])/g, '$1');

function filesUnder(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/**
 * Every translatable string of the plugin: `{ msgid, msgctxt?, files }`, `files` relative to the plugin folder.
 * @param {string} pluginDir
 */
export function extractStrings(pluginDir) {
  const found = new Map();
  const add = (msgid, msgctxt, file) => {
    const key = `${msgctxt ?? ''}\u0004${msgid}`;
    const entry = found.get(key) ?? { msgid, ...(msgctxt === undefined ? {} : { msgctxt }), files: new Set() };
    entry.files.add(relative(pluginDir, file));
    found.set(key, entry);
  };
  for (const file of filesUnder(pluginDir)) {
    const text = readFileSync(file, 'utf8');
    if (/\.(php|js)$/.test(file)) {
      for (const [, msgid, domain] of text.matchAll(CALL))
        if (domain === TEXT_DOMAIN) add(unquote(msgid), undefined, file);
      for (const [, msgid, ctxt, domain] of text.matchAll(CONTEXT_CALL))
        if (domain === TEXT_DOMAIN) add(unquote(msgid), unquote(ctxt), file);
    }
    if (file.endsWith('comet-chat.php')) {
      // The plugin header's description shows translated in the plugin list.
      const description = /^\s*\*\s*Description:\s*(.+)$/m.exec(text)?.[1];
      if (description) add(description.trim(), undefined, file);
    }
    if (file.endsWith('block.json')) {
      // WordPress translates these block.json fields with these contexts.
      const block = JSON.parse(text);
      add(block.title, 'block title', file);
      add(block.description, 'block description', file);
      for (const keyword of block.keywords ?? []) add(keyword, 'block keyword', file);
    }
  }
  return [...found.values()];
}

/**
 * Reads a .po file into { headers, entries: [{ msgctxt?, msgid, msgstr }] } (no plural forms; fuzzy entries skipped).
 * @param {string} text
 */
export function parsePo(text) {
  const entries = [];
  let current = {};
  let field = null;
  let fuzzy = false;
  const flush = () => {
    if (current.msgid !== undefined && !fuzzy) entries.push(current);
    current = {};
    field = null;
    fuzzy = false;
  };
  const decode = (quoted) => JSON.parse(quoted.replace(/\\'/g, "'"));
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '') {
      flush();
    } else if (trimmed.startsWith('#,') && trimmed.includes('fuzzy')) {
      fuzzy = true;
    } else if (trimmed.startsWith('#')) {
      continue;
    } else {
      const m = /^(msgctxt|msgid|msgstr)\s+(".*")$/.exec(trimmed);
      if (m) {
        if (m[1] !== 'msgstr' && current.msgid !== undefined) flush();
        field = m[1];
        current[field] = decode(m[2]);
      } else if (trimmed.startsWith('"') && field) {
        current[field] += decode(trimmed);
      } else {
        throw new Error(`.po: cannot read the line ${JSON.stringify(line)}`);
      }
    }
  }
  flush();
  const header = entries.find((e) => e.msgid === '' && e.msgctxt === undefined);
  const headers = Object.fromEntries(
    (header?.msgstr ?? '')
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf(':')).trim(), l.slice(l.indexOf(':') + 1).trim()]),
  );
  return { headers, header: header?.msgstr ?? '', entries: entries.filter((e) => e !== header) };
}

/**
 * A GNU .mo file (little endian, no hash table) of a parsed .po.
 * @param {ReturnType<typeof parsePo>} po
 */
export function compileMo(po) {
  const pairs = [
    ['', po.header],
    ...po.entries
      .filter((e) => e.msgstr !== '')
      .map((e) => [(e.msgctxt === undefined ? '' : `${e.msgctxt}\u0004`) + e.msgid, e.msgstr]),
  ]
    .map(([k, v]) => [Buffer.from(k, 'utf8'), Buffer.from(v, 'utf8')])
    .sort((a, b) => Buffer.compare(a[0], b[0]));
  const n = pairs.length;
  const headerSize = 28;
  const tables = headerSize + 16 * n;
  const out = [];
  const head = Buffer.alloc(tables);
  head.writeUInt32LE(0x950412de, 0);
  head.writeUInt32LE(0, 4);
  head.writeUInt32LE(n, 8);
  head.writeUInt32LE(headerSize, 12);
  head.writeUInt32LE(headerSize + 8 * n, 16);
  head.writeUInt32LE(0, 20);
  head.writeUInt32LE(tables, 24);
  let offset = tables;
  const place = (buf, tableAt) => {
    head.writeUInt32LE(buf.length, tableAt);
    head.writeUInt32LE(offset, tableAt + 4);
    out.push(buf, Buffer.from([0]));
    offset += buf.length + 1;
  };
  pairs.forEach(([k], i) => place(k, headerSize + 8 * i));
  pairs.forEach(([, v], i) => place(v, headerSize + 8 * n + 8 * i));
  return Buffer.concat([head, ...out]);
}

/**
 * The Jed 1.x JSON WordPress loads for one script (wp_set_script_translations), with the strings that script uses.
 * @param {ReturnType<typeof parsePo>} po
 * @param {Set<string>} msgids
 */
export function scriptTranslations(po, msgids) {
  const messages = {
    '': {
      domain: 'messages',
      lang: po.headers.Language ?? '',
      'plural-forms': po.headers['Plural-Forms'] ?? 'nplurals=2; plural=(n != 1);',
    },
  };
  for (const e of po.entries)
    if (e.msgctxt === undefined && e.msgstr !== '' && msgids.has(e.msgid)) messages[e.msgid] = [e.msgstr];
  return JSON.stringify({ domain: 'messages', locale_data: { messages } });
}
