/** How much of a feed <comet-chat> holds and shows. */

/** Most messages kept in memory (`messages`); older ones are dropped and paging back stops there. */
export const MAX_MESSAGES = 1000;
/**
 * Most messages in the DOM at once while the reader is at the bottom; scrolling near the top (or "load earlier") widens
 * it a page at a time from memory. Few enough that a live message or a history page lays out little (30 instead of 60
 * took a tenth off each), enough to fill a tall feed: 30 bubbles of one line are about 1,900 px high. A feed taller
 * than that cannot scroll to bring in more, and shows "load earlier" above them instead.
 */
export const RENDER_LIMIT = 30;
/** Messages asked per "load earlier" page. */
export const PAGE_SIZE = 50;
