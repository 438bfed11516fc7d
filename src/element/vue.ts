/**
 * `import 'comet-chat/vue'`: registers <comet-chat> and types it in Vue 3 templates (vue-tsc / Volar).
 * Vue must also be told that the tag is a custom element (`isCustomElement`, see docs/frameworks.md);
 * it then sets the element's properties itself (`:strings="…"`) and listens with `@comet-message`.
 */
import type { DefineComponent } from 'vue';
import './define.js';
import type { CometChatEventMap } from './events.js';
import type { CometChatProperties, PascalCase } from './properties.js';

/** `@comet-message` in a template is the prop `onCometMessage` to Vue's type checker. */
export type CometChatVueEvents = {
  [K in keyof CometChatEventMap as `on${PascalCase<K>}`]?: (event: CustomEvent<CometChatEventMap[K]>) => void;
};

declare module 'vue' {
  interface GlobalComponents {
    'comet-chat': DefineComponent<CometChatProperties & CometChatVueEvents>;
  }
}
