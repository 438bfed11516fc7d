/**
 * Entry of dist/CometServerApi.js, a classic script: installs `window.CometServer` and
 * `window.cometApi` as CppComet's CometServerApi.js did. Without a `node` in `start()` it talks to
 * the server the script itself was loaded from.
 */
import { CometServer, setDefaultNode } from './singleton.js';

const script = typeof document !== 'undefined' ? document.currentScript : null;
if (script instanceof HTMLScriptElement && script.src) setDefaultNode(new URL(script.src, location.href).origin);

const api = CometServer();
Object.assign(window as unknown as Record<string, unknown>, { CometServer, cometApi: api });
