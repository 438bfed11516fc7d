/**
 * The <comet-chat> class and its types, without registering any tag: a plugin may
 * `customElements.define('my-chat', class extends CometChat {})`. Import ./define.js for the default tag.
 */
export { CometChat } from './comet-chat.js';
export { MAX_MESSAGES, PAGE_SIZE, RENDER_LIMIT } from './feed-limits.js';
export type { ChatMessage } from './message-log.js';
export { emit } from './events.js';
export type * from './events.js';
export { LocalizeController, registerTranslation, translationFor, type Translation } from './localize.js';
export { safeLink, type Link } from './linkify.js';
