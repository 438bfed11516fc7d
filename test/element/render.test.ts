import { expect, fixture, html } from '@open-wc/testing';
import '../../src/element/define.js';
import { CometChat } from '../../src/element/index.js';
import { connectedChat, freshPipe, part, serverInfo } from './helpers.js';

describe('<comet-chat> rendering and accessibility', () => {
  it('is registered by define.js from a class that index.js exports unregistered', () => {
    expect(customElements.get('comet-chat')).to.equal(CometChat);
    class PluginChat extends CometChat {}
    customElements.define('plugin-chat', PluginChat);
    expect(document.createElement('plugin-chat')).to.be.instanceOf(CometChat);
  });

  for (const lang of ['en', 'ru']) {
    for (const theme of ['light', 'dark']) {
      it(`is accessible disconnected (${lang}, ${theme})`, async () => {
        const el = await fixture<CometChat>(html`<comet-chat lang=${lang} theme=${theme} pipe="web_x"></comet-chat>`);
        expect(el.connectionStatus).to.equal('idle');
        expect(part(el, 'reason')!.textContent).to.equal(
          lang === 'ru'
            ? 'Нет соединения; отправка возобновится, когда оно восстановится.'
            : 'You are offline; sending resumes when the connection is back.',
        );
        expect((part(el, 'textarea') as HTMLTextAreaElement).disabled).to.equal(true);
        expect(part(el, 'empty')).to.not.equal(null);
        await expect(el).to.be.accessible();
      });

      it(`is accessible connected (${lang}, ${theme})`, async () => {
        const el = await connectedChat(await serverInfo(), { pipe: freshPipe(), lang, theme, name: 'Ann' });
        expect(part(el, 'status')!.textContent).to.equal(lang === 'ru' ? 'Подключено' : 'Connected');
        expect(part(el, 'title')!.textContent).to.equal(lang === 'ru' ? 'Чат' : 'Chat');
        expect((part(el, 'textarea') as HTMLTextAreaElement).disabled).to.equal(false);
        el.receive({
          data: { text: 'hello https://example.com/x', name: 'Bob' },
          server_info: { pipe: el.pipe, event: 'undefined', user_id: 0, history: false, marker: 1, time: Date.now() },
        });
        await el.updateComplete;
        expect(part(el, 'link')).to.not.equal(null);
        await expect(el).to.be.accessible();
      });
    }
  }

  it('follows the page language when it has no lang of its own', async () => {
    const before = document.documentElement.lang;
    document.documentElement.lang = 'ru';
    try {
      const el = await fixture<CometChat>(html`<comet-chat pipe="web_x"></comet-chat>`);
      expect(part(el, 'title')!.textContent).to.equal('Чат');
      document.documentElement.lang = 'en';
      await new Promise((r) => setTimeout(r));
      await el.updateComplete;
      expect(part(el, 'title')!.textContent).to.equal('Chat');
    } finally {
      document.documentElement.lang = before;
    }
  });

  it('takes string overrides', async () => {
    const el = await fixture<CometChat>(
      html`<comet-chat pipe="web_x" lang="en" .strings=${{ title: 'Support', send: 'Go' }}></comet-chat>`,
    );
    expect(part(el, 'title')!.textContent).to.equal('Support');
    expect(part(el, 'send-button')!.textContent.trim()).to.equal('Go');
  });

  it('shows why it cannot send: read-only, and a pipe only the backend may publish into', async () => {
    const server = await serverInfo();
    const ro = await fixture<CometChat>(html`<comet-chat lang="en" readonly pipe="web_x"></comet-chat>`);
    expect(part(ro, 'reason')!.textContent).to.equal('This chat is read-only.');
    const el = await connectedChat(server, { pipe: freshPipe('news'), name: 'Ann' });
    expect(part(el, 'reason')!.textContent).to.equal('Only the site can post in this channel.');
    expect((part(el, 'send-button') as HTMLButtonElement).disabled).to.equal(true);
  });
});
