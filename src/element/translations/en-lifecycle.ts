import type { LifecycleStrings } from '../localize.js';

/** English strings of the message actions: the fallback of every language without them, shipped with their chunk. */
const en: LifecycleStrings = {
  actions: 'Message actions',
  actionsOf: (name) => `Actions for the message of ${name}`,
  reply: 'Reply',
  edit: 'Edit',
  delete: 'Delete',
  react: (emoji) => `React with ${emoji}`,
  reactions: (emoji, n) => `${emoji} ${n}`,
  confirmDelete: 'Delete this message?',
  cancel: 'Cancel',
  save: 'Save',
  editLabel: 'Edit message',
  edited: 'edited',
  deleted: 'message deleted',
  replyingTo: (name) => `Replying to ${name}`,
  cancelReply: 'Cancel reply',
  toOriginal: 'Go to the message',
  seenBy: (n) => `Seen by ${n}`,
};
export default en;
