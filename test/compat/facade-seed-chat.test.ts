import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SEED_CHAT, openOnServer, untilPresent, useSeedPages } from './facade-support.js';

describe('the seed chat.html on CometServerApi.js', { timeout: 60_000 }, () => {
  const env = useSeedPages();

  test('two pages chat, and the sender sees the delivery report', async () => {
    const alice = await openOnServer(env, SEED_CHAT);
    const bob = await openOnServer(env, SEED_CHAT);
    await untilPresent(env.server, 'web_chat_pipe', 2);

    await alice.fill('#WebChatNameID', 'Алиса');
    await alice.fill('#WebChatTextID', 'Привет, Боб');
    await alice.click('input[type=button]');

    await bob.locator('#WebChatFormForm p').filter({ hasText: 'Привет, Боб' }).waitFor();
    assert.equal(await bob.locator('#WebChatFormForm p').first().innerText(), 'Алиса: Привет, Боб');
    await alice.locator('#answer_div').filter({ hasText: 'Сообщение доставлено' }).waitFor();
    assert.equal((await alice.locator('#answer_div').innerText()).trim(), 'Сообщение доставлено 1 получателям.');
    assert.equal(await alice.locator('#WebChatTextID').inputValue(), '', 'the page cleared its input');
    assert.equal(await alice.locator('#WebChatFormForm p').count(), 1, 'the sender shows its own line once (no echo)');

    await bob.fill('#WebChatNameID', 'Боб');
    await bob.fill('#WebChatTextID', 'И тебе привет');
    await bob.click('input[type=button]');
    await alice.locator('#WebChatFormForm p').filter({ hasText: 'И тебе привет' }).waitFor();
    assert.equal(await alice.locator('#WebChatFormForm p').nth(1).innerText(), 'Боб: И тебе привет');
  });
});
