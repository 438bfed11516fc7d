/** Shared by the element tests: the real comet servers started by web-test-runner.config.mjs, and waits. */
import { fixture, html, waitUntil as waitUntilWithin } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import '../../src/element/define.js';
import type { CometChat } from '../../src/element/index.js';
import type { DeliveryReport } from '../../src/protocol/wire.js';

export interface ServerInfo {
  url: string;
  devId: string;
}

export const serverInfo = (name = 'main') =>
  executeServerCommand<ServerInfo, { name: string }>('comet-server-info', { name });

/** A backend publish (any pipe, e.g. loginPipe) through the server's core. */
export const backendPublish = (pipe: string, event: string | undefined, data: unknown, name = 'main') =>
  executeServerCommand<{ marker: number; number_messages: number }, object>('comet-publish', {
    name,
    pipe,
    event,
    data,
  });

export const registerUserKey = (userId: number, key: string, userName?: string, name = 'main') =>
  executeServerCommand<boolean, object>('comet-user-key', { name, userId, key, userName });

export const command = <R>(cmd: string, payload: object) => executeServerCommand<R, object>(cmd, payload);

let pipeSeq = 0;
/** A pipe name of its own for each test, so tests never see each other's history. */
export const freshPipe = (prefix = 'web_t') => `${prefix}${Date.now().toString(36)}${++pipeSeq}`;

/** A connected <comet-chat> on a server; resolves once the server has authorized (or not) the connection. */
export async function connectedChat(
  server: ServerInfo,
  attrs: {
    pipe: string;
    name?: string;
    lang?: string;
    theme?: string;
    history?: number;
    userId?: number;
    userKey?: string;
    noticesPipe?: string;
    /** Wait until the online count reaches this (everyone already in the pipe, plus this element). */
    online?: number;
  },
): Promise<CometChat> {
  const el = await fixture<CometChat>(html`<comet-chat
    server=${server.url}
    dev-id=${server.devId}
    pipe=${attrs.pipe}
    name=${attrs.name ?? ''}
    lang=${attrs.lang ?? 'en'}
    theme=${attrs.theme ?? 'light'}
    history=${attrs.history ?? 50}
    user-id=${attrs.userId ?? ''}
    user-key=${attrs.userKey ?? ''}
    notices-pipe=${attrs.noticesPipe ?? 'loginPipe'}
  ></comet-chat>`);
  await waitUntil(() => el.connectionStatus === 'connected', 'element should connect');
  // The element asks for presence once the server has confirmed its subscriptions: the count includes it.
  const want = attrs.online ?? 1;
  await waitUntil(() => onlineCount(el) >= want, `online count should reach ${want}`);
  return el;
}

export const onlineCount = (el: CometChat) =>
  Number.parseInt(el.shadowRoot!.querySelector('[part~="online"]')?.textContent ?? '0', 10);
export const shadow = (el: CometChat) => el.shadowRoot!;
export const parts = (el: CometChat, part: string) => [
  ...shadow(el).querySelectorAll<HTMLElement>(`[part~="${part}"]`),
];
export const part = (el: CometChat, p: string) => shadow(el).querySelector<HTMLElement>(`[part~="${p}"]`);
export const texts = (el: CometChat) => parts(el, 'text').map((t) => t.textContent);

export async function typeAndSend(el: CometChat, text: string): Promise<DeliveryReport | undefined> {
  const delivered = new Promise<DeliveryReport | undefined>((resolve) =>
    el.addEventListener('comet-delivery', (e) => resolve(e.detail.report as DeliveryReport), { once: true }),
  );
  const area = part(el, 'textarea') as HTMLTextAreaElement;
  area.value = text;
  area.dispatchEvent(new Event('input'));
  await el.updateComplete;
  area.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true }));
  return delivered;
}

/**
 * Waits until `predicate` holds. The tests wait for round trips through the server and for renders: open-wc's
 * 1 s default deadline is a speed check on a loaded machine, so the default here is 10 s (half the test timeout,
 * so a wait that never ends still names itself). Resolves as soon as the state is reached.
 */
export function waitUntil(
  predicate: () => unknown,
  message?: string,
  options: { interval?: number; timeout?: number } = {},
): Promise<void> {
  return waitUntilWithin(predicate, message, { timeout: 10_000, ...options });
}
