/**
 * Guessing backend secrets: failed logins per client address, on the HTTP API and the CometQL port
 * together. Real server on loopback; 127.0.0.2… stand for other addresses.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import mysql from 'mysql2/promise';
import { serverPerTest } from '../fixtures/server.js';

const serve = serverPerTest();

/** A backend API call from `from` with `secret`: its status and Retry-After. */
function apiCall(port: number, from: string, secret: string): Promise<{ status: number; retryAfter?: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        localAddress: from,
        path: '/api/v1/apps/1/usage',
        headers: { authorization: `Bearer ${secret}` },
      },
      (res) => {
        res.resume();
        resolve({
          status: res.statusCode!,
          ...(res.headers['retry-after'] ? { retryAfter: res.headers['retry-after'] } : {}),
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** A CometQL login from `from`: null when it worked, else its error number. */
async function cometqlLogin(port: number, from: string, password: string): Promise<number | null> {
  try {
    const db = await mysql.createConnection({
      stream: connect({ host: '127.0.0.1', port, localAddress: from }),
      user: '1',
      password,
    });
    await db.end();
    return null;
  } catch (err) {
    return (err as { errno: number }).errno;
  }
}

describe('failed backend logins per address', { timeout: 30_000 }, () => {
  it('refuse an address unchecked after its failures, on both ports, while others still log in', async () => {
    const lines: string[] = [];
    const server = await serve({
      cometqlPort: 0,
      limits: { loginFailures: { burst: 4, perSecond: 0.001 } },
      logger: { info: (line: string) => lines.push(line), error: () => undefined },
    });
    const guesser = '127.0.0.2';
    for (let i = 0; i < 2; i++) assert.equal((await apiCall(server.port, guesser, `wrong-${i}`)).status, 401);
    for (let i = 0; i < 2; i++) assert.equal(await cometqlLogin(server.cometqlPort!, guesser, `wrong-${i}`), 1045);
    // Four failures over both ports: now even the right secret is refused before it is compared.
    const blocked = await apiCall(server.port, guesser, server.app1Secret);
    assert.equal(blocked.status, 429);
    assert.ok(Number(blocked.retryAfter) >= 1);
    assert.equal(await cometqlLogin(server.cometqlPort!, guesser, server.app1Secret), 1129);
    // Another address is not held by the guesser's failures.
    assert.equal((await apiCall(server.port, '127.0.0.3', server.app1Secret)).status, 200);
    assert.equal(await cometqlLogin(server.cometqlPort!, '127.0.0.3', server.app1Secret), null);
    // Four failures made one log line, naming the dev id tried and never a secret.
    const failed = lines.filter((l) => l.includes('failed login'));
    assert.equal(failed.length, 1, failed.join('\n'));
    assert.match(failed[0], /"1" from 127\.0\.0\.2/);
    assert.ok(!lines.some((l) => l.includes('wrong-') || l.includes(server.app1Secret)));
  });
});
