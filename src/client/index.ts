/** The browser client: `import { CometClient } from 'comet-chat/client'`. */
export {
  CometClient,
  newMessageId,
  type CometClientListener,
  type HistoryOptions,
  type PresenceInfo,
} from './comet-client.js';
export { CometClientError, type ClientErrorCode } from './errors.js';
export type * from './types.js';
