/** Limits shared by the server (which enforces them) and the browser client (which checks early). */

/** Pipe names: 3–64 characters of `[A-Za-z0-9_-]` (CppComet's rule). */
export const PIPE_NAME_MIN = 3;
export const PIPE_NAME_MAX = 64;
/** Event names: 1–64 characters of the same charset. */
export const EVENT_NAME_MAX = 64;
/** CppComet allows at most 32 pipes per connection; so do we. */
export const MAX_PIPES_PER_CONNECTION = 32;
/** Default largest serialized `data` of one message, in bytes (CppComet drops frames over 64 KiB). */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024;
/** Deepest nesting of objects and arrays in `data`: far beyond any chat message, far below what recursive JSON encoders survive. */
export const MAX_DATA_DEPTH = 64;
/** History length of a pipe may be 0–1000 messages. */
export const HISTORY_LENGTH_MAX = 1000;
/** Default history length of `web_` pipes (configurable per server and per pipe). */
export const DEFAULT_WEB_HISTORY_LENGTH = 100;
/** Most entries one history request returns. */
export const HISTORY_PAGE_MAX = 200;
/** User keys (CppComet `users_auth.hash`): at most 32 chars of `[0-9A-Za-z=+/_]`. */
export const USER_KEY_MAX = 32;
/** Longest signed user token accepted anywhere (handshake, API, CometQL). */
export const TOKEN_MAX = 4096;
/** Longest display name the server accepts or stamps. */
export const USER_NAME_MAX = 64;
/** Default publish rate limit per connection: a token bucket. */
export const DEFAULT_PUBLISH_BURST = 20;
export const DEFAULT_PUBLISH_PER_SECOND = 10;
/** Typing notices per connection and pipe: at most one per this many milliseconds. */
export const TYPING_INTERVAL_MS = 1000;
/** Longest window a shutting-down server may give its clients to move (`goaway.within`); the client caps it. */
export const GOAWAY_WITHIN_MAX_MS = 60_000;
/** A publish's client-made message id: 8–64 characters of `[A-Za-z0-9_-]` (a UUID fits). */
export const MESSAGE_ID_MIN = 8;
export const MESSAGE_ID_MAX = 64;
/** Most messages one `batch` event carries (a busy pipe's messages coalesced for one frame). */
export const BATCH_MAX_MESSAGES = 32;
/** Characters of the original's text quoted with a reply. */
export const REPLY_EXCERPT_MAX = 120;
/** Longest reaction (one emoji, possibly with modifiers and joiners), in UTF-16 code units. */
export const REACTION_MAX = 16;
/** Most emojis an app may offer as reactions. */
export const REACTION_SET_MAX = 12;
/** Reactions offered when an app sets none. */
export const DEFAULT_REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🙏'] as const;
/** Most users listed per emoji in a `reactors` answer (the counts are always whole). */
export const REACTORS_LIST_MAX = 100;
/** Most readers in a `readers` answer. */
export const READERS_LIST_MAX = 200;
/** Default edit window of an app: authors may edit or delete their messages this long after sending (0 = never). */
export const DEFAULT_EDIT_WINDOW_SECONDS = 15 * 60;
