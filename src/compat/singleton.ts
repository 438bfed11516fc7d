import { CometServerApi } from './facade.js';

let instance: CometServerApi | null = null;
let defaultNode = typeof location !== 'undefined' ? location.origin : 'http://127.0.0.1:8080';

/** Sets the server used when `start()` gets no `node` (global.ts passes the script's own origin). */
export function setDefaultNode(url: string): void {
  defaultNode = url;
}

/** The original's entry point: every call returns the same CometServerApi object. */
export function CometServer(): CometServerApi {
  instance ??= new CometServerApi(defaultNode);
  return instance;
}
