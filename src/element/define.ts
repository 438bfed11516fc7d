/** Registers <comet-chat> (once: a second copy of the bundle on the page is harmless). */
import { CometChat } from './comet-chat.js';

if (!customElements.get('comet-chat')) customElements.define('comet-chat', CometChat);

declare global {
  interface HTMLElementTagNameMap {
    'comet-chat': CometChat;
  }
}

export * from './index.js';
