/**
 * Styles of <comet-chat>, adopted as constructable stylesheets (no inline <style>, so a strict CSP holds).
 * Every colour, the radius, font and spacing come from a public --comet-chat-* property with a
 * theme default; the private --_* names below only pick that default.
 * Rules select classes, not parts: every element with a part carries the same names as classes (the template, and
 * element() in format.ts), and Chromium matches and invalidates classes faster than `[part~=…]` (style of a live
 * message 10–15% less in same-run A/B comparisons).
 */
import { css } from 'lit';

/** The dark palette: for theme="dark", and for theme="auto" when the system prefers dark. */
const dark = css`
  --_bg: var(--comet-chat-bg, #0d1117);
  --_fg: var(--comet-chat-fg, #e6edf3);
  --_muted: var(--comet-chat-muted, #9198a1);
  --_accent: var(--comet-chat-accent, #4493f8);
  --_accent-fg: var(--comet-chat-accent-fg, #0d1117);
  --_mine: var(--comet-chat-mine-bg, #0c2d6b);
  --_other: var(--comet-chat-other-bg, #161b22);
  --_border: var(--comet-chat-border, #3d444d);
  --_error: var(--comet-chat-error, #ff7b72);
  --_focus: var(--comet-chat-focus, #4493f8);
  color-scheme: dark;
`;

export const styles = css`
  :host {
    --_bg: var(--comet-chat-bg, #ffffff);
    --_fg: var(--comet-chat-fg, #1f2328);
    --_muted: var(--comet-chat-muted, #59636e);
    --_accent: var(--comet-chat-accent, #0550ae);
    --_accent-fg: var(--comet-chat-accent-fg, #ffffff);
    --_mine: var(--comet-chat-mine-bg, #ddf4ff);
    --_other: var(--comet-chat-other-bg, #f6f8fa);
    --_border: var(--comet-chat-border, #d1d9e0);
    --_error: var(--comet-chat-error, #b3141f);
    --_focus: var(--comet-chat-focus, #0969da);
    --_radius: var(--comet-chat-radius, 8px);
    --_gap: var(--comet-chat-spacing, 8px);
    display: block;
    height: var(--comet-chat-height, 28rem);
    color-scheme: light;
  }
  :host([hidden]) {
    display: none;
  }
  :host([theme='dark']) {
    ${dark}
  }
  @media (prefers-color-scheme: dark) {
    :host([theme='auto']) {
      ${dark}
    }
  }
  * {
    box-sizing: border-box;
  }
  :focus-visible {
    outline: 2px solid var(--_focus);
    outline-offset: 2px;
  }
  .sr-only {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
  }
  /* The layout lives here, so a page that sets display, width or height on the tag does not break it. */
  .base {
    display: flex;
    flex-direction: column;
    width: 100%;
    height: 100%;
    color: var(--_fg);
    background: var(--_bg);
    font: var(--comet-chat-font-size, 0.95rem) / 1.4 var(--comet-chat-font, system-ui, sans-serif);
    text-align: start;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    overflow: hidden;
  }
  /* Launcher mode: the tag takes no room (the rest is in controllers/launcher-styles.ts, loaded with its chunk). */
  :host([mode='launcher']) {
    height: 0;
  }
  .close {
    font-size: 1.5em;
  }
  .header {
    display: flex;
    align-items: baseline;
    gap: var(--_gap);
    padding: var(--_gap) calc(var(--_gap) * 1.5);
    border-bottom: 1px solid var(--_border);
  }
  .title {
    margin: 0;
    font-size: 1.05em;
    font-weight: 600;
    flex: 1;
  }
  .online,
  .status,
  .time,
  .typing,
  .reason,
  .delivery,
  .empty,
  .notice {
    color: var(--_muted);
    font-size: 0.85em;
  }
  .status[data-status='connected']::before {
    content: '● ';
  }
  .feed {
    display: flex;
    flex-direction: column;
    gap: var(--_gap);
    position: relative;
    flex: 1;
    min-height: 0;
    overflow-y: auto;
    padding: var(--_gap);
  }
  /*
   * The messages' list is laid out as blocks, cheaper for an append than a flex column: each message's margin is the
   * gap (the list takes the first one back), and a bubble is as wide as its text. Taken back at the bottom instead,
   * the list's box stuck out below an empty feed, which could then scroll (and showed a scrollbar where those take
   * room).
   */
  .feed > div {
    margin-top: calc(-1 * var(--_gap));
  }
  .feed > div > * {
    margin-block: var(--_gap) 0;
  }
  /* contain: whatever a text holds (a tower of combining marks, a long word) stays inside its bubble. */
  .message {
    width: fit-content;
    max-width: 85%;
    padding: calc(var(--_gap) * 0.75) var(--_gap);
    background: var(--_other);
    border-radius: var(--_radius);
    overflow-wrap: anywhere;
    contain: content;
  }
  /* Bubbles far from the newest are skipped by layout and paint while out of view (see message-view.ts). */
  [data-far] {
    content-visibility: auto;
    contain-intrinsic-size: auto 3.5em;
  }
  .mine {
    margin-inline-start: auto;
    background: var(--_mine);
  }
  .failed {
    outline: 1px solid var(--_error);
  }
  .pending {
    opacity: 0.7;
  }
  .state {
    display: block;
    font-size: 0.85em;
  }
  .name {
    font-weight: 600;
    margin-inline-end: var(--_gap);
  }
  .guest {
    font-style: italic;
  }
  .guest::before {
    content: '~';
  }
  .text {
    white-space: pre-wrap;
  }
  [data-clamped] {
    max-height: 16em;
    overflow: hidden;
  }
  .link,
  .show-more {
    color: inherit;
    text-decoration: underline;
  }
  .close,
  .show-more {
    padding: 0;
    border: 0;
    background: none;
    font: inherit;
  }
  pre {
    margin: 0;
    white-space: pre-wrap;
  }
  .notice {
    width: fit-content;
    margin-inline: auto;
    font-style: italic;
    text-align: center;
  }
  .empty {
    margin: auto;
  }
  .load-earlier,
  .new-messages,
  .send-button {
    font: inherit;
    border-radius: var(--_radius);
  }
  button {
    cursor: pointer;
  }
  .launcher,
  .new-messages,
  .send-button {
    border: 0;
    color: var(--_accent-fg);
    background: var(--_accent);
  }
  .load-earlier {
    align-self: center;
    color: var(--_accent);
    background: none;
    border: 1px solid var(--_border);
    padding: calc(var(--_gap) / 2) var(--_gap);
  }
  .new-messages {
    position: sticky;
    bottom: 0;
    align-self: center;
  }
  .new-messages,
  .send-button {
    padding: calc(var(--_gap) / 2) calc(var(--_gap) * 1.5);
  }
  .footer {
    border-top: 1px solid var(--_border);
    padding: var(--_gap);
    display: flex;
    flex-direction: column;
    gap: calc(var(--_gap) / 2);
  }
  .typing,
  .delivery,
  .reason {
    min-height: 1.2em;
    margin: 0;
  }
  .delivery[data-error] {
    color: var(--_error);
  }
  .composer {
    display: flex;
    gap: var(--_gap);
    align-items: flex-end;
  }
  .name-input,
  .textarea {
    font: inherit;
    color: var(--_fg);
    background: var(--_bg);
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    padding: calc(var(--_gap) / 2) var(--_gap);
  }
  .textarea {
    flex: 1;
    resize: vertical;
    min-height: 2.5em;
  }
  .send-button {
    min-height: 2.5em;
  }
  :disabled {
    opacity: 0.6;
    cursor: not-allowed;
  }
`;
