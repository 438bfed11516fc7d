#!/usr/bin/env node
// `npm run build:wp`: dist/comet-chat-wordpress.zip, the WordPress plugin as Plugins → Upload takes it:
// integrations/wordpress/comet-chat/ with the PHP kit as lib/CometChat.php and the Russian
// translation compiled (.mo for PHP, JSON for the block editor's script). Entries are dated
// 2025-01-01 so the same sources always make the same zip.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateRawSync } from 'node:zlib';
import { compileMo, extractStrings, parsePo, scriptTranslations, TEXT_DOMAIN } from './wp-i18n.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PLUGIN = join(ROOT, 'integrations', 'wordpress', 'comet-chat');
const KIT = join(ROOT, 'integrations', 'php', 'src', 'CometChat.php');
const OUT = join(ROOT, 'dist', 'comet-chat-wordpress.zip');
/** Scripts whose strings go to JSON, by their path in the plugin (WordPress names the file by its md5). */
const SCRIPTS = ['blocks/chat/editor.js'];

const walk = (dir) =>
  readdirSync(dir)
    .sort()
    .flatMap((name) => (statSync(join(dir, name)).isDirectory() ? walk(join(dir, name)) : [join(dir, name)]));

/** [path inside the plugin folder, contents] of everything the zip carries. */
function pluginFiles() {
  const files = walk(PLUGIN).map((file) => [relative(PLUGIN, file), readFileSync(file)]);
  files.push(['lib/CometChat.php', readFileSync(KIT)]);
  const strings = extractStrings(PLUGIN);
  for (const [path, bytes] of files.filter(([p]) => p.endsWith('.po'))) {
    const po = parsePo(bytes.toString('utf8'));
    const locale = basename(path, '.po').slice(TEXT_DOMAIN.length + 1);
    files.push([path.replace(/\.po$/, '.mo'), compileMo(po)]);
    for (const script of SCRIPTS) {
      const used = new Set(strings.filter((s) => s.files.has(script)).map((s) => s.msgid));
      const name = `languages/${TEXT_DOMAIN}-${locale}-${createHash('md5').update(script).digest('hex')}.json`;
      files.push([name, Buffer.from(scriptTranslations(po, used))]);
    }
  }
  return files.sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

/** A zip archive (deflate, UTF-8 names, Unix mode 0644). */
function zip(entries) {
  const DOS_TIME = 0;
  const DOS_DATE = ((2025 - 1980) << 9) | (1 << 5) | 1;
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const nameBytes = Buffer.from(name, 'utf8');
    const packed = deflateRawSync(data, { level: 9 });
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(8, 8);
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE((0o100644 << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, packed);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + packed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

const files = pluginFiles();
mkdirSync(join(ROOT, 'dist'), { recursive: true });
writeFileSync(OUT, zip(files.map(([path, data]) => [`comet-chat/${path}`, data])));
console.log(`build:wp: ${relative(ROOT, OUT)} (${files.length} files, ${statSync(OUT).size} bytes)`);
