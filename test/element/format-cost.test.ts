/**
 * Hostile text formats in time linear in its length: a 64 KB message built to make the formatter search again
 * and again (markers that never close, nested markers, a link ending in punctuation) costs about what 64 KB of
 * plain words cost. A ratio against plain text measured in the same run, never a time limit.
 */
import { expect } from '@open-wc/testing';
import { formatText } from '../../src/element/format.js';

const SIZE = 64 * 1024;
/**
 * Generous: they cost 1–5× on a quiet machine, and up to 25× on a loaded one (a run of several milliseconds is
 * more often interrupted than the plain baseline's short one); a scan that searches again from every marker
 * costs 1,000× and more.
 */
const MAX_RATIO = 100;

const fill = (unit: string) => unit.repeat(Math.ceil(SIZE / unit.length)).slice(0, SIZE);

/** The fastest of `runs` formattings of `text` (the least disturbed by the rest of the machine), in ms. */
function cost(text: string, runs: number): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const parent = document.createElement('div');
    const start = performance.now();
    formatText(parent, text, /((?<![\p{L}\p{N}_@])@?Ann(?![\p{L}\p{N}_]))/iu);
    best = Math.min(best, performance.now() - start);
  }
  return best;
}

const HOSTILE: Record<string, string> = {
  stars: '*'.repeat(SIZE),
  underscores: '_'.repeat(SIZE),
  backticks: '`'.repeat(SIZE),
  'unclosed bold': fill(' **x'),
  'unclosed italic': fill(' _x'),
  'unclosed bold and italic': fill(' **a _b '),
  'openers after punctuation': fill('(_x'),
  'nested markers': fill(`${'**_'.repeat(150)}x${'_**'.repeat(150)} `),
  'unclosed code': fill(' `a\n'),
  'an unclosed fence': `\`\`\`${fill('a ')}`,
  'a link ending in punctuation': `https://a${'.'.repeat(SIZE)}x`,
};

describe('formatting hostile text', () => {
  let plain = 0;
  before(() => {
    // Warm up, then the same size of plain words: the baseline.
    cost(fill('hello world, '), 3);
    // performance.now() is coarse (0.1 ms or more): a floor keeps the ratio meaningful.
    plain = Math.max(cost(fill('hello world, '), 5), 0.5);
  });

  for (const [name, text] of Object.entries(HOSTILE)) {
    it(`formats 64 KB of ${name} at most ${MAX_RATIO}× the cost of plain text`, () => {
      const ratio = cost(text, 10) / plain;
      expect(ratio, `${name}: ${ratio.toFixed(1)}× plain`).to.be.at.most(MAX_RATIO);
    });
  }
});
