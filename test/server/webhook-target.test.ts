/** Where a webhook may point: the URL rule, and which hosts are refused unless an app is allowed private targets. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkWebhookUrl } from '../../src/server/core/input-checks.js';
import { refusedAddress, refusedHost, webhookUrlProblem } from '../../src/server/core/webhook-target.js';

test('internal targets are refused in every spelling the URL parser accepts', () => {
  const refused: [string, RegExp][] = [
    ['http://127.0.0.1:6379/', /loopback address/],
    ['http://127.1/', /loopback address/],
    ['http://2130706433/', /127\.0\.0\.1, a loopback address/],
    ['http://0x7f000001/', /loopback address/],
    ['http://0177.0.0.1/', /loopback address/],
    ['http://[::1]:8080/hook', /loopback address/],
    ['http://[::ffff:127.0.0.1]/', /loopback address/],
    ['http://[::ffff:7f00:1]/', /loopback address/],
    ['http://169.254.169.254/latest/meta-data/', /link-local address/],
    ['http://[::ffff:169.254.169.254]/', /link-local address/],
    ['http://[fe80::1]/', /link-local address/],
    ['http://0.0.0.0/', /unspecified address/],
    ['http://0/', /unspecified address/],
    ['http://[::]/', /unspecified address/],
    ['http://10.1.2.3/', /private address/],
    ['http://172.16.0.1/', /private address/],
    ['http://172.31.255.255/', /private address/],
    ['http://192.168.1.1/', /private address/],
    ['https://[::ffff:10.0.0.1]/', /private address/],
    ['http://100.64.0.1/', /carrier-grade NAT/],
    ['http://[fd12:3456::1]/', /unique-local address/],
    ['http://224.0.0.1/', /multicast address/],
    ['http://[ff02::1]/', /multicast address/],
    ['http://255.255.255.255/', /reserved address/],
    ['http://[64:ff9b::7f00:1]/', /loopback address/], // NAT64 of 127.0.0.1
    ['http://[2002:a9fe:a9fe::]/', /link-local address/], // 6to4 of 169.254.169.254
    ['http://localhost:3000/', /loopback name/],
    ['http://LOCALHOST./', /loopback name/],
    ['http://admin.localhost/', /loopback name/],
  ];
  for (const [url, kind] of refused) {
    assert.equal(webhookUrlProblem(url), undefined, `${url} is a well-formed URL`);
    assert.match(refusedHost(url) ?? 'accepted', kind, url);
    assert.throws(
      () => checkWebhookUrl(url, false),
      { code: 'invalid', message: /may not target .*allowPrivateWebhooks in the server config/ },
      url,
    );
    assert.doesNotThrow(() => checkWebhookUrl(url, true), `${url} with private targets allowed`);
  }
});

test('public targets are accepted', () => {
  for (const url of [
    'https://example.com/comet-hook.php?token=abc',
    'http://93.184.215.14/hook',
    'http://172.32.0.1/',
    'http://100.128.0.1/',
    'http://[2606:4700::1111]/',
    'http://[::ffff:8.8.8.8]/',
    'http://[64:ff9b::808:808]/', // NAT64 of a public address
    'http://localhost.example.com/',
  ]) {
    assert.equal(refusedHost(url), undefined, url);
    assert.doesNotThrow(() => checkWebhookUrl(url, false), url);
  }
  assert.equal(refusedAddress('2a00:1450:4001:81b::200e'), undefined);
  assert.equal(refusedAddress('not-an-ip'), 'not an address');
});

test('the URL rule: absolute http(s), no user or password, at most 2048 characters', () => {
  for (const [url, problem] of [
    ['ftp://example.com/x', /absolute http\(s\) URL/],
    ['file:///etc/passwd', /absolute http\(s\) URL/],
    ['javascript:alert(1)', /absolute http\(s\) URL/],
    ['/relative/hook', /absolute http\(s\) URL/],
    ['https://user:pw@example.com/hook', /user or password/],
    ['https://token@example.com/hook', /user or password/],
    [`https://example.com/${'a'.repeat(2048)}`, /over 2048 characters/],
  ] as const) {
    assert.match(webhookUrlProblem(url) ?? 'accepted', problem, url);
    assert.throws(() => checkWebhookUrl(url, true), { code: 'invalid', message: problem }, url);
  }
});
