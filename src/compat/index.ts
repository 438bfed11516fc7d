/**
 * The CometServerApi facade as a module: `import { CometServer } from 'comet-chat/compat'`.
 * Importing does not touch `window`; the classic-script bundle (global.ts) does that.
 */
export {
  CometServerApi,
  resolveNode,
  type CompatCallback,
  type CompatMessage,
  type CompatReport,
  type StartOptions,
} from './facade.js';
export { CometServer, setDefaultNode } from './singleton.js';
