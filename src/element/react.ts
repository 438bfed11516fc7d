/**
 * `import 'comet-chat/react'`: registers <comet-chat> and types it for React 19's JSX.
 * React 19 sets a custom element's properties itself (objects included) and listens to its DOM
 * events through props named `on` + the event's name: `<comet-chat devId="1" oncomet-message={…} />`.
 * See docs/frameworks.md.
 */
import type { DetailedHTMLProps, HTMLAttributes } from 'react';
import type { CometChat } from './comet-chat.js';
import './define.js';
import type { CometChatEventMap } from './events.js';
import type { CometChatProperties } from './properties.js';

/** `oncomet-message`, `oncomet-delivery`…: React 19 adds a listener of event `x` for a prop `onx`. */
export type CometChatReactEvents = {
  [K in keyof CometChatEventMap as `on${K}`]?: (event: CustomEvent<CometChatEventMap[K]>) => void;
};

/** Everything <comet-chat> takes in JSX: the usual HTML attributes, its properties and its events. */
export type CometChatReactProps = DetailedHTMLProps<HTMLAttributes<CometChat>, CometChat> &
  CometChatProperties &
  CometChatReactEvents;

declare module 'react' {
  // React declares its JSX types in a namespace: augmenting them takes one.
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace JSX {
    interface IntrinsicElements {
      'comet-chat': CometChatReactProps;
    }
  }
}
