/**
 * scripts/build-templates.mjs, the build's shrinking of our css`` and html`` templates: what it takes out of the CSS
 * must be comments and whitespace only, whatever quotes a comment holds.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { minifyCss, templateEdits } from '../../scripts/build-templates.mjs';

const css = (text: string): string => String(minifyCss(text, true, true));

describe('the build shrinks CSS templates', () => {
  test('a comment goes, whatever apostrophes or quotes it holds', () => {
    assert.equal(
      css(`
        /* the list's box, each message's gap */
        .a > b { color: red; }
        /* "quoted" and 'single' */
        .c { margin: 0.5em; }
      `),
      '.a>b{color:red}.c{margin:.5em}',
    );
  });

  test('strings stay as they are, a "/*" inside one included', () => {
    assert.equal(
      css(`.a::before { content: '/* not a comment */'; } .b { content: "it's"; }`),
      `.a::before{content:'/* not a comment */'}.b{content:"it's"}`,
    );
  });

  test('no comment reaches the bundle from the element sources', () => {
    const dir = 'src/element';
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    let templates = 0;
    for (const file of files) {
      for (const { text } of templateEdits(readFileSync(join(dir, file), 'utf8'), file) as { text: string }[]) {
        templates++;
        assert.doesNotMatch(text, /\/\*/, `${file}: ${text.slice(0, 80)}`);
      }
    }
    assert.ok(templates > 3, 'the element sources have css templates to shrink');
  });
});
