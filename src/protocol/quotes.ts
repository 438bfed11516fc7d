/** How a reply quotes its original: the server builds the quotes subscribers get, the element its own echo's. */
import { REPLY_EXCERPT_MAX } from './limits.js';
import type { ReplyQuote } from './wire.js';

/** The start of a text as a quote shows it: REPLY_EXCERPT_MAX whole characters, so no emoji is cut in half. */
export function excerptOf(text: string): string {
  return Array.from(text.slice(0, 2 * REPLY_EXCERPT_MAX))
    .slice(0, REPLY_EXCERPT_MAX)
    .join('');
}

/** A quote of a deleted message: who and which, nothing of what it said (a guest's own name included). */
export function blankQuote(quote: ReplyQuote): ReplyQuote {
  const blank: ReplyQuote = { marker: quote.marker, user_id: quote.user_id, excerpt: '' };
  if (quote.user_name !== undefined) blank.user_name = quote.user_name;
  return blank;
}
