/**
 * Static checks of the PHP kit and the plugin: `php -l` on every PHP file, PHP_CodeSniffer with
 * what Debian ships (the WordPress standard is not packaged, see docs/wordpress.md), the Russian
 * translation covering every string, and what the built zip carries.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { extractStrings, parsePo } from '../../scripts/wp-i18n.mjs';

const PLUGIN = 'integrations/wordpress/comet-chat';
const WP_STANDARD = 'integrations/phpcs/CometChatWP';
const KIT_STANDARD = 'integrations/php/phpcs.xml';
const ZIP = 'dist/comet-chat-wordpress.zip';

function phpFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (['node_modules', '.cache', '.git', 'dist', 'lib', 'artifacts'].includes(name)) return [];
    return statSync(path).isDirectory() ? phpFiles(path) : name.endsWith('.php') ? [path] : [];
  });
}

const phpcs = (args: string[], stdin?: string) =>
  spawnSync('phpcs', ['--report=emacs', '-q', ...args], {
    encoding: 'utf8',
    ...(stdin === undefined ? {} : { input: stdin }),
  });

describe('PHP sources', () => {
  it('every PHP file of the repository passes php -l', () => {
    const files = phpFiles('.');
    for (const expected of [
      join(PLUGIN, 'comet-chat.php'),
      join(PLUGIN, 'uninstall.php'),
      'integrations/php/src/CometChat.php',
      'test/compat/fixtures/authChat.php',
    ]) {
      assert.ok(files.includes(expected), `${expected} is among the ${files.length} files checked`);
    }
    for (const file of files) {
      const lint = spawnSync('php', ['-l', file], { encoding: 'utf8' });
      assert.equal(lint.status, 0, `${file}: ${lint.stdout}${lint.stderr}`);
    }
  });

  it('the plugin passes PHP_CodeSniffer with its WordPress-style ruleset, the kit with PSR-12', () => {
    const plugin = phpcs([`--standard=${WP_STANDARD}`, PLUGIN, 'integrations/phpcs']);
    assert.equal(plugin.status, 0, plugin.stdout + plugin.stderr);
    const kit = phpcs([`--standard=${KIT_STANDARD}`, 'integrations/php/src', 'test/php/fixtures']);
    assert.equal(kit.status, 0, kit.stdout + kit.stderr);
  });

  it('the escaping sniff refuses raw output, joined output and raw printf arguments', () => {
    const bad = `<?php\n/** File. */\n/** F. */\nfunction f( $a ) {\n\techo $a;\n\techo esc_html( $a ) . $a;\n\tprintf( '%s', $a );\n\t?><p><?php echo $_GET['x']; ?></p><?php\n}\n`;
    const found = phpcs([`--standard=${WP_STANDARD}`, '-'], bad);
    assert.equal(found.stdout.match(/Output must come straight from an escaping function/g)?.length, 4, found.stdout);
    const good = `<?php\n/** File. */\n/** F. */\nfunction f( $a ) {\n\techo esc_html( $a );\n\tprintf( '<a href="%s">%s</a>', esc_url( $a ), esc_html__( 'x', 'comet-chat' ) );\n\techo 'literal';\n}\n`;
    assert.equal(phpcs([`--standard=${WP_STANDARD}`, '-'], good).status, 0);
  });
});

describe('the Russian translation', () => {
  it('translates every string the plugin hands to WordPress, and nothing else', () => {
    const po = parsePo(readFileSync(join(PLUGIN, 'languages', 'comet-chat-ru_RU.po'), 'utf8'));
    const key = (e: { msgid: string; msgctxt?: string }) => `${e.msgctxt ?? ''}|${e.msgid}`;
    const translated = new Set(po.entries.filter((e: { msgstr: string }) => e.msgstr !== '').map(key));
    const used = extractStrings(PLUGIN);
    assert.ok(used.length > 50);
    assert.deepEqual(
      used.filter((s: { msgid: string }) => !translated.has(key(s))).map(key),
      [],
      'strings without a translation',
    );
    const usedKeys = new Set(used.map(key));
    assert.deepEqual(
      po.entries.map(key).filter((k: string) => !usedKeys.has(k)),
      [],
      'translations of strings no longer used',
    );
  });
});

describe('the plugin zip', () => {
  const read = (name: string): string =>
    execFileSync(
      'php',
      ['-r', '$z = new ZipArchive(); $z->open($argv[1]); echo $z->getFromName($argv[2]);', ZIP, name],
      { encoding: 'utf8' },
    );

  it('carries the plugin with its header, the PHP kit and the compiled translation', () => {
    const main = read('comet-chat/comet-chat.php');
    assert.match(main, /Requires at least: 6\.1/);
    assert.match(main, /Requires PHP:\s+8\.1/);
    assert.match(main, /License:\s+MIT/);
    assert.match(main, /Text Domain:\s+comet-chat/);
    assert.equal(read('comet-chat/lib/CometChat.php'), readFileSync('integrations/php/src/CometChat.php', 'utf8'));
    assert.equal(read('comet-chat/languages/comet-chat-ru_RU.mo').length > 0, true);
    assert.match(read('comet-chat/uninstall.php'), /WP_UNINSTALL_PLUGIN/);
  });
});
