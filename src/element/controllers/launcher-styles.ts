/**
 * Styles of launcher mode, adopted next to the element's own (a constructable stylesheet, so a strict CSP holds)
 * when its chunk comes: the button and the panel float in a corner of the window. What the element needs before
 * the chunk is in (the tag taking no room, the button's colours shared with other buttons) stays in styles.ts.
 */
import { sharedSheet } from '../shared-sheet.js';

/** One stylesheet for every element of the page. */
export const launcherStyles = sharedSheet`
.launcher,
.panel {
  position: fixed;
  right: 1rem;
  bottom: 1rem;
  z-index: 2147483000;
  box-shadow: 0 4px 16px #0004;
}
:host([position='bottom-left']) :is(.launcher, .panel) {
  right: auto;
  left: 1rem;
}
.launcher {
  width: 3.5rem;
  height: 3.5rem;
  border-radius: 50%;
}
svg {
  width: 1.5rem;
  fill: currentColor;
}
.badge {
  position: absolute;
  top: -4px;
  right: -4px;
  min-width: 1.4rem;
  padding: 0 4px;
  border-radius: 1rem;
  color: var(--_bg);
  background: var(--_error);
  font-size: 0.75rem;
  font-weight: 700;
  line-height: 1.4rem;
}
.panel {
  bottom: 5.5rem;
  width: min(24rem, 100vw - 2rem);
  height: min(var(--comet-chat-height, 36rem), 100vh - 7rem);
}
/* Hidden, not removed: the closed panel keeps its layout, so the feed keeps its place. */
:host(:not([open])) .panel {
  visibility: hidden;
}
@media (max-width: 480px) {
  .panel {
    inset: 0;
    width: auto;
    height: auto;
    border: 0;
    border-radius: 0;
  }
}
`;
