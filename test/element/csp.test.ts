import { expect } from '@open-wc/testing';
import type { CometChat } from '../../src/element/index.js';
import { connectedChat, freshPipe, parts, serverInfo, texts, waitUntil } from './helpers.js';

describe('<comet-chat> under a strict Content-Security-Policy', () => {
  const violations: string[] = [];
  const record = (e: SecurityPolicyViolationEvent) => violations.push(`${e.violatedDirective} ${e.blockedURI}`);

  before(async () => {
    // No 'unsafe-inline' styles or scripts and no eval; connections only to the test server.
    const server = await serverInfo();
    const ws = server.url.replace(/^http/, 'ws');
    const meta = document.createElement('meta');
    meta.httpEquiv = 'Content-Security-Policy';
    meta.content = `default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self' ${server.url} ${ws}`;
    document.head.append(meta);
    document.addEventListener('securitypolicyviolation', record);
  });
  after(() => document.removeEventListener('securitypolicyviolation', record));

  it('is styled, connects and chats without a single violation', async () => {
    const probe = document.createElement('div');
    probe.setAttribute('style', 'color: rgb(1, 2, 3)');
    document.body.append(probe);
    await waitUntil(() => violations.length > 0, 'the policy is in force (an inline style attribute is reported)');
    probe.remove();
    violations.length = 0;

    const server = await serverInfo();
    const pipe = freshPipe();
    const a: CometChat = await connectedChat(server, { pipe, name: 'Ann' });
    const b: CometChat = await connectedChat(server, { pipe, name: 'Bob', online: 2 });
    await a.send('under CSP https://example.com');
    await waitUntil(() => texts(b).length === 1, 'message arrives');
    expect(getComputedStyle(parts(b, 'base')[0]).display).to.equal('flex');
    expect(getComputedStyle(parts(b, 'message')[0]).backgroundColor).to.equal('rgb(246, 248, 250)');
    expect(violations).to.deep.equal([]);
  });
});
