// Compile-time checks of the JSX types shipped as comet-chat/react (tsc runs in `npm run build`):
// every @ts-expect-error below must be an error, or tsc fails with "Unused '@ts-expect-error'".
import type { CometChat } from 'comet-chat';

export const wellTyped = (
  <comet-chat
    server="https://chat.example.com"
    devId="1"
    pipe="web_chat"
    history={10}
    readonly
    theme="auto"
    strings={{ send: 'Post' }}
    oncomet-message={(e) => e.detail.message.text.toUpperCase()}
    oncomet-send={(e) => e.preventDefault()}
    oncomet-error={(e) => e.detail.error.length}
  />
);

// @ts-expect-error history is a number
export const badHistory = <comet-chat history="ten" />;
// @ts-expect-error not a theme
export const badTheme = <comet-chat theme="blue" />;
// @ts-expect-error a message event carries { message, raw }
export const badListener = <comet-chat oncomet-message={(e: CustomEvent<{ count: number }>) => e.detail.count} />;
// @ts-expect-error messages is read-only: the element's own feed
export const readOnlyProperty = <comet-chat messages={[]} />;
// @ts-expect-error strings holds only known keys
export const unknownString = <comet-chat strings={{ sned: 'Post' }} />;

export const refType = (el: CometChat | null) => el?.send('typed method');
