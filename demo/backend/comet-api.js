// @ts-check
/**
 * What a real site backend does with comet-chat: calls the server's HTTP backend API with the
 * app's secret. The demo backend runs inside the server process, yet goes through /api/v1 like
 * any PHP or Node backend would, so the demo shows (and tests) the real path.
 */

/**
 * @param {{ apiUrl: string, devId: string, secret: string }} options
 *   apiUrl: the server's own origin, e.g. http://127.0.0.1:8080
 */
export function cometApi({ apiUrl, devId, secret }) {
  const base = `${apiUrl}/api/v1/apps/${encodeURIComponent(devId)}`;

  /** @param {string} method @param {string} path @param {unknown} [body] */
  async function call(method, path, body) {
    const res = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
    return res.json();
  }

  return {
    /** Registers the user's key (CppComet: INSERT INTO users_auth); the name is stamped on what they send. */
    setUserKey: (/** @type {number} */ id, /** @type {string} */ key, /** @type {string} */ name) =>
      call('PUT', `/users/${id}/key`, { key, name }),
    /** Removes the key, which disconnects every connection of that user. */
    removeUserKey: (/** @type {number} */ id) => call('DELETE', `/users/${id}/key`),
    /** Publishes into any pipe, `loginPipe` included (browsers may not). */
    publish: (/** @type {string} */ pipe, /** @type {string} */ event, /** @type {unknown} */ data) =>
      call('POST', `/pipes/${encodeURIComponent(pipe)}/messages`, { event, data }),
  };
}
