/**
 * Each app's backend has its own request budget (limits.backendRequests), shared by the HTTP API and
 * CometQL: one tenant's busy or broken backend is refused, the other tenants are not.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isOk, parseErr, RawClient } from '../compat/cometql-support.js';
import { APP2_SECRET, apiClient, startServer, type Comet } from './http-helpers.js';

const COM_QUERY = 0x03;
const opened: { servers: Comet[]; clients: RawClient[] } = { servers: [], clients: [] };
after(async () => {
  opened.clients.forEach((c) => c.close());
  for (const s of opened.servers) await s.close();
});

describe('backend requests per app', { timeout: 20_000 }, () => {
  it('refuses an app over its budget on both APIs, leaves other apps alone, and refills with time', async () => {
    let now = Date.now();
    const server = await startServer({
      clock: () => now,
      cometqlPort: 0,
      limits: { backendRequests: { burst: 3, perSecond: 1 } },
    });
    opened.servers.push(server);
    const app1 = apiClient(server.url, server.app1Secret);
    const app2 = apiClient(server.url, APP2_SECRET, '2');
    for (let i = 0; i < 3; i++) assert.equal((await app1('GET', '/pipes/web_a/messages')).status, 200);
    const refused = await fetch(`${server.url}/api/v1/apps/1/pipes/web_a/messages`, {
      headers: { Authorization: `Bearer ${server.app1Secret}` },
    });
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get('retry-after'), '1');
    assert.equal(((await refused.json()) as { error: string }).error, 'rate_limited');
    assert.equal((await app2('GET', '/pipes/web_a/messages')).status, 200, 'another app is not held back');

    // CometQL spends the same budget: its query is refused with MySQL's resource-limit error.
    const sql = await RawClient.open(server.cometqlPort!);
    opened.clients.push(sql);
    assert.ok(isOk(await sql.connectAs('1', server.app1Secret)));
    sql.command(COM_QUERY, "SELECT * FROM pipes_messages WHERE name = 'web_a'");
    const err = parseErr(await sql.next());
    assert.equal(err.errno, 1226);
    assert.match(err.message, /backendRequests/);

    now += 1000;
    assert.equal((await app1('GET', '/pipes/web_a/messages')).status, 200, 'a second later one more is admitted');
    assert.equal((await app1('GET', '/pipes/web_a/messages')).status, 429);
  });
});
