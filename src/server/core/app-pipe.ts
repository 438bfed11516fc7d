/**
 * One pipe of one app as a single string: `<app>\0<pipe>`. The NUL never occurs in app ids or pipe
 * names, so apps never share a key, and the two parts come back apart unambiguously. Used wherever
 * something is kept per pipe across apps: the core's settings cache, the metrics, the socket rooms.
 */
export const appPipeKey = (appId: string, pipe: string): string => `${appId}\u0000${pipe}`;

export function splitAppPipeKey(key: string): [appId: string, pipe: string] {
  const at = key.indexOf('\u0000');
  return [key.slice(0, at), key.slice(at + 1)];
}
