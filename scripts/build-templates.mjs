// Rollup plugin: shrinks the static text of lit `css` and `html` tagged templates (and `sharedSheet`, CSS too) in our
// own sources.
// Whitespace the browser would collapse anyway costs bytes in every copy of the bundle:
// - css: comments go, whitespace shrinks to what CSS needs (strings are left alone);
// - html: each whitespace run that spans a line break becomes one space, and the template's leading and
//   trailing runs go. HTML renders a run of whitespace as one space, so only `<pre>`, `<textarea>` content or
//   `white-space: pre*` text written in the template itself would change; none of ours has any (the
//   pre-wrap message text is a binding, not template text), and the tests of the built bundle (test/e2e) run on it.
// The TypeScript parser finds the templates, so `${…}` bindings and nested templates are never touched.
import ts from 'typescript';

// css: lit's, and sharedSheet, the lazy chunks' stylesheets (src/element/shared-sheet.ts).
const TAGS = new Set(['css', 'html', 'sharedSheet']);

/** @param {{ include?: RegExp }} [options] which modules to touch: by default src/element only. */
export function minifyLitTemplates({ include = /[\\/]src[\\/]element[\\/][^?]*\.ts$/ } = {}) {
  return {
    name: 'minify-lit-templates',
    transform(code, id) {
      if (!include.test(id)) return null;
      const edits = templateEdits(code, id);
      return edits.length === 0 ? null : applyEdits(code, edits, id);
    },
  };
}

/** Replacements ({start, end, text}) for the literal text of every css`` / html`` template in a module. */
export function templateEdits(code, fileName = 'module.ts') {
  const sf = ts.createSourceFile(fileName, code, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const edits = [];
  const visit = (node) => {
    if (ts.isTaggedTemplateExpression(node) && ts.isIdentifier(node.tag) && TAGS.has(node.tag.text)) {
      const t = node.template;
      const literals = ts.isNoSubstitutionTemplateLiteral(t) ? [t] : [t.head, ...t.templateSpans.map((s) => s.literal)];
      literals.forEach((lit, i) => {
        // The token includes its delimiters: ` or } in front, ` or ${ behind.
        const start = lit.getStart(sf) + 1;
        const end = lit.end - (i === literals.length - 1 ? 1 : 2);
        const text = code.slice(start, end);
        const first = i === 0;
        const last = i === literals.length - 1;
        const small = node.tag.text === 'html' ? minifyHtml(text, first, last) : minifyCss(text, first, last);
        if (small !== text) edits.push({ start, end, text: small });
      });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return edits;
}

/** One piece of html`` text: whitespace runs across lines become one space; the ends of the template are trimmed. */
export function minifyHtml(text, first, last) {
  let s = text.replace(/\s*\n\s*/g, ' ');
  if (first) s = s.trimStart();
  if (last) s = s.trimEnd();
  return s;
}

/** A CSS string, single- or double-quoted, on one line. */
const CSS_STRING = String.raw`'[^'\n]*'|"[^"\n]*"`;

/** One piece of css`` text (strings kept as they are). */
export function minifyCss(text, first, last) {
  // Comments go first, matched together with strings: an apostrophe in a comment ("the list's box") starts no
  // string, and a "/*" in a string starts no comment.
  const uncommented = text.replace(new RegExp(String.raw`(/\*[\s\S]*?\*/)|${CSS_STRING}`, 'g'), (m, comment) =>
    comment ? ' ' : m,
  );
  const parts = uncommented.split(new RegExp(`(${CSS_STRING})`));
  let s = parts
    .map((chunk, i) =>
      i % 2 === 1
        ? unquoteIdent(chunk, parts[i - 1])
        : chunk
            .replace(/\s+/g, ' ')
            // A space before ':' may be a descendant combinator (`a :hover`), so only the space after it goes.
            .replace(/\s*([{};,>])\s*/g, '$1')
            .replace(/:\s+/g, ':')
            .replace(/;}/g, '}')
            .replace(/([\s:(,])0\.(\d)/g, '$1.$2')
            .replace(/#([\da-f])\1([\da-f])\2([\da-f])\3\b/gi, '#$1$2$3'),
    )
    .join('');
  if (first) s = s.trimStart();
  if (last) s = s.trimEnd();
  return s;
}

/** `[part~='feed']` needs no quotes: an attribute selector's value may be a bare identifier. */
function unquoteIdent(quoted, before) {
  const value = quoted.slice(1, -1);
  return /[~|^$*]?=$/.test(before) && /^[A-Za-z][\w-]*$/.test(value) ? value : quoted;
}

/* ---- applying edits with a source map ---- */

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function vlq(n) {
  let v = n < 0 ? (-n << 1) | 1 : n << 1;
  let s = '';
  do {
    let digit = v & 31;
    v >>>= 5;
    if (v) digit |= 32;
    s += B64[digit];
  } while (v);
  return s;
}

/**
 * Applies sorted, non-overlapping edits and maps the result back: every token of unchanged code keeps its
 * exact position, and each replaced piece maps to where it started.
 */
function applyEdits(code, edits, source) {
  const lineStarts = [0];
  for (let i = 0; i < code.length; i++) if (code[i] === '\n') lineStarts.push(i + 1);
  const origin = (offset) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return [lo, offset - lineStarts[lo]];
  };

  const lines = [[]]; // per generated line: [generated column, original offset]
  let out = '';
  let column = 0;
  const mark = (offset) => lines[lines.length - 1].push([column, offset]);
  const copy = (from, to) => {
    const TOKEN = /[A-Za-z0-9_$]+|\S/g;
    TOKEN.lastIndex = from;
    let at = from;
    for (let m = TOKEN.exec(code); m && m.index < to; m = TOKEN.exec(code)) {
      advance(code.slice(at, m.index));
      const end = Math.min(m.index + m[0].length, to);
      mark(m.index);
      advance(code.slice(m.index, end));
      at = end;
    }
    advance(code.slice(at, to));
  };
  const advance = (text) => {
    out += text;
    for (const ch of text) {
      if (ch === '\n') {
        lines.push([]);
        column = 0;
      } else column += ch.length;
    }
  };

  let at = 0;
  for (const e of [...edits].sort((a, b) => a.start - b.start)) {
    copy(at, e.start);
    mark(e.start);
    advance(e.text);
    at = e.end;
  }
  copy(at, code.length);

  let prevLine = 0;
  let prevCol = 0;
  const mappings = lines
    .map((segments) => {
      let prevGen = 0;
      return segments
        .map(([gen, offset]) => {
          const [line, col] = origin(offset);
          const seg = vlq(gen - prevGen) + vlq(0) + vlq(line - prevLine) + vlq(col - prevCol);
          prevGen = gen;
          prevLine = line;
          prevCol = col;
          return seg;
        })
        .join(',');
    })
    .join(';');
  return { code: out, map: { version: 3, sources: [source], sourcesContent: [code], names: [], mappings } };
}
