/**
 * What a framework may set on <comet-chat>: the class's own public, writable fields (read-only
 * getters and methods left out). Derived from the class, so the React and Vue types never drift from it.
 */
import type { LitElement } from 'lit';
import type { CometChat } from './comet-chat.js';

/** P when `readonly` is absent on T[P] (a getter without a setter counts as read-only). */
type IfWritable<T, P extends keyof T> =
  (<U>() => U extends { [Q in P]: T[P] } ? 1 : 2) extends <U>() => U extends { -readonly [Q in P]: T[P] } ? 1 : 2
    ? P
    : never;

type OwnKeys = Exclude<keyof CometChat, keyof LitElement>;
type SettableKeys = {
  [P in OwnKeys]: CometChat[P] extends (...args: never[]) => unknown ? never : IfWritable<CometChat, P>;
}[OwnKeys];

/** `server`, `devId`, `pipe`, `strings`…: every settable property, all optional. */
export type CometChatProperties = { [P in SettableKeys]?: CometChat[P] };

/** `comet-message` → `CometMessage`. */
export type PascalCase<S extends string> = S extends `${infer Head}-${infer Tail}`
  ? `${Capitalize<Head>}${PascalCase<Tail>}`
  : Capitalize<S>;
