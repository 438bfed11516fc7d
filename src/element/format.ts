/**
 * Light formatting of message text, built as DOM nodes (elements and text nodes), never as HTML: whatever the
 * text holds stays text. Understood: ```fenced code```, `code`, **bold**, _italic_, http(s) links (see
 * linkify.ts), and mentions of a given name. Line breaks are kept by the text's `white-space: pre-wrap`.
 * Hostile text costs time linear in its length: emphasis stays within one line and 1,000 characters, and a
 * marker never spans a place where the same marker could open (so each opener's search ends at the next one,
 * and bold never nests in bold); a link's trailing punctuation is left out by the pattern itself.
 */
import { safeLink } from './linkify.js';

/**
 * One pass finds the earliest of: a fenced block (its text as written between the fences, less one line break
 * at each end), inline code, **bold** or _italic_ (neither marker inside a word), a link candidate (less the
 * punctuation that usually ends a sentence rather than a URL).
 */
const TOKENS =
  /```\n?([^]*?)\n?```|`([^`\n]+)`|(?<![\p{L}\p{N}_*])(\*\*|_)(\S(?:(?:(?!(?<![\p{L}\p{N}])\3)[^\n]){0,998}?\S)?)\3(?![\p{L}\p{N}_*])|\bhttps?:\/\/[^\s<>"'`]*[^\s<>"'`.,;:!?)\]}]/giu;

/** A regular expression that finds `name` (with or without a leading @) as a whole word, or undefined for a blank name. */
export function mentionOf(name: string): RegExp | undefined {
  name = name.trim();
  return name
    ? new RegExp(`((?<![\\p{L}\\p{N}_@])@?${name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}(?![\\p{L}\\p{N}_]))`, 'iu')
    : undefined;
}

/**
 * Appends the formatted `text` to `parent`. (A character under a tower of combining marks needs nothing here:
 * the bubble contains its paint.)
 */
export function formatText(parent: Element, text: string, mention: RegExp | undefined): void {
  let last = 0;
  for (const m of text.matchAll(TOKENS)) {
    const [whole, fence, code, emphasis, inner] = m;
    let node: Element;
    if (fence !== undefined) {
      // An empty block stays text: a run of backticks is not a stack of empty boxes.
      if (!fence.trim()) continue;
      node = element('pre', 'code-block', fence);
    } else if (code !== undefined) node = element('code', 'code', code);
    else if (emphasis) {
      node = element(emphasis === '_' ? 'em' : 'strong');
      formatText(node, inner, mention);
    } else {
      const link = safeLink(whole);
      if (!link) continue;
      node = Object.assign(element('a', 'link', link.text), {
        href: link.href,
        target: '_blank',
        rel: 'noopener noreferrer nofollow',
      });
    }
    plain(parent, text.slice(last, m.index), mention);
    parent.append(node);
    last = m.index + whole.length;
  }
  plain(parent, text.slice(last), mention);
}

/** Text, with each mention in a `<mark part="mention">`. */
function plain(parent: Element, text: string, mention: RegExp | undefined): void {
  const pieces = mention ? text.split(mention) : [text];
  // split() with one capturing group alternates: text, mention, text, …
  pieces.forEach((piece, i) => piece && parent.append(i % 2 ? element('mark', 'mention', piece) : piece));
}

/** An element with a part (also its class, which the styles select) and text content; the text is a text node, never parsed. */
export function element(tag: string, part?: string, text?: string): HTMLElement {
  const node = document.createElement(tag);
  if (part) node.setAttribute('part', (node.className = part));
  if (text) node.textContent = text;
  return node;
}
