/**
 * Styles of the message actions, adopted next to the element's own (a constructable stylesheet, so a strict CSP
 * holds) when their chunk comes. Colours, radius and spacing come from the element's theme variables.
 */
import { sharedSheet } from '../shared-sheet.js';

/** One stylesheet for every element of the page. */
export const lifecycleStyles = sharedSheet`
/* The menu's containing block (the launcher's panel is one already: it is fixed). */
.base:not(.panel) {
  position: relative;
}
.actions,
.quote,
.reaction,
.reply-cancel,
.actions-menu button,
.editor button {
  font: inherit;
  color: inherit;
  border-radius: var(--_radius);
}
/* Room for the actions button, which visits one message at a time (the bubble is its containing block). */
[data-actions] {
  padding-inline-end: calc(var(--_gap) * 2.5 + 1em);
}
.actions {
  position: absolute;
  inset-block-start: calc(var(--_gap) * 0.75);
  inset-inline-end: calc(var(--_gap) / 2);
  padding: 0 calc(var(--_gap) / 2);
  border: 0;
  background: none;
  color: var(--_muted);
  line-height: 1.2;
}
.message:hover .actions,
.actions[aria-expanded='true'] {
  color: var(--_fg);
}
.quote {
  display: block;
  width: 100%;
  margin-bottom: calc(var(--_gap) / 2);
  padding: calc(var(--_gap) / 4) calc(var(--_gap) / 2);
  text-align: start;
  border: 0;
  border-inline-start: 3px solid var(--_accent);
  background: color-mix(in srgb, var(--_fg) 6%, transparent);
  font-size: 0.85em;
}
.quote-name {
  display: block;
  font-weight: 600;
}
.quote-text {
  display: block;
  overflow: hidden;
  white-space: nowrap;
  text-overflow: ellipsis;
  color: var(--_muted);
}
.edited,
.receipt {
  color: var(--_muted);
  font-size: 0.8em;
  margin-inline-start: calc(var(--_gap) / 2);
}
.receipt {
  display: block;
  margin: 0;
  text-align: end;
}
.tombstone {
  color: var(--_muted);
  font-style: italic;
}
.reactions {
  display: flex;
  flex-wrap: wrap;
  gap: calc(var(--_gap) / 2);
  margin-top: calc(var(--_gap) / 2);
}
.reaction {
  padding: 0 calc(var(--_gap) * 0.75);
  border: 1px solid var(--_border);
  border-radius: 1em;
  background: var(--_bg);
}
.reaction[aria-pressed='true'] {
  border-color: var(--_accent);
  background: color-mix(in srgb, var(--_accent) 15%, var(--_bg));
}
.actions-menu {
  position: absolute;
  z-index: 1;
  display: flex;
  flex-direction: column;
  min-width: 10rem;
  max-width: calc(100% - 8px);
  padding: calc(var(--_gap) / 2);
  color: var(--_fg);
  background: var(--_bg);
  border: 1px solid var(--_border);
  border-radius: var(--_radius);
  box-shadow: 0 4px 16px #0003;
}
.actions-menu button {
  padding: calc(var(--_gap) / 2) var(--_gap);
  text-align: start;
  border: 0;
  background: none;
}
.actions-menu button:hover,
.actions-menu button:focus-visible {
  background: color-mix(in srgb, var(--_fg) 10%, transparent);
}
.react-row {
  display: flex;
  flex-wrap: wrap;
  border-bottom: 1px solid var(--_border);
  margin-bottom: calc(var(--_gap) / 2);
}
.react-row button {
  padding: calc(var(--_gap) / 2);
  font-size: 1.2em;
}
.react-row [aria-checked='true'] {
  background: color-mix(in srgb, var(--_accent) 20%, transparent);
}
.confirm-text {
  margin: 0 0 calc(var(--_gap) / 2);
}
.actions-menu .confirm {
  color: var(--_error);
  font-weight: 600;
}
.editor {
  display: flex;
  flex-wrap: wrap;
  gap: calc(var(--_gap) / 2);
}
.edit-input {
  flex: 1 1 100%;
  min-height: 3em;
  font: inherit;
  color: var(--_fg);
  background: var(--_bg);
  border: 1px solid var(--_border);
  border-radius: var(--_radius);
  padding: calc(var(--_gap) / 2);
  resize: vertical;
}
.editor button {
  padding: calc(var(--_gap) / 4) var(--_gap);
  border: 1px solid var(--_border);
  background: var(--_bg);
}
.editor .edit-save {
  color: var(--_accent-fg);
  background: var(--_accent);
  border-color: var(--_accent);
}
.reply-preview {
  display: grid;
  grid-template-columns: 1fr auto;
  align-items: center;
  column-gap: var(--_gap);
  padding: calc(var(--_gap) / 2) var(--_gap);
  border-inline-start: 3px solid var(--_accent);
  background: color-mix(in srgb, var(--_fg) 6%, transparent);
  font-size: 0.85em;
}
.reply-to {
  font-weight: 600;
}
.reply-preview .quote-text {
  grid-row: 2;
}
.reply-cancel {
  grid-row: 1 / 3;
  grid-column: 2;
  padding: 0 var(--_gap);
  border: 0;
  background: none;
  font-size: 1.4em;
}
.message:focus {
  outline: 2px solid var(--_focus);
}
`;
