import type { Translation } from '../localize.js';

/** English strings (the fallback for every language without a translation). */
const en: Translation = {
  $code: 'en',
  title: 'Chat',
  online: (n) => `${n} online`,
  status: { idle: 'Not connected', connecting: 'Connecting…', connected: 'Connected', reconnecting: 'Reconnecting…', disconnected: 'Disconnected' },
  feedLabel: 'Messages',
  empty: 'No messages yet. Say hello!',
  loadEarlier: 'Load earlier messages',
  loading: 'Loading…',
  newMessages: 'New messages',
  you: 'You',
  anonymous: 'Anonymous',
  user: (id) => `User ${id}`,
  joined: (name) => `${name} joined the chat`,
  left: (name) => `${name} left the chat`,
  typing: (names) => (names.length ? `${names.join(', ')} ${names.length > 1 ? 'are' : 'is'} typing…` : 'Someone is typing…'),
  nameLabel: 'Your name',
  namePlaceholder: 'Enter your name…',
  messageLabel: 'Message',
  messagePlaceholder: 'Write a message…',
  send: 'Send',
  sending: 'Sending…',
  delivered: (n) => `Delivered to ${n}`,
  failed: (reason) => `Not delivered: ${reason}`,
  reasonReadonly: 'This chat is read-only.',
  reasonOffline: 'You are offline; sending resumes when the connection is back.',
  reasonNoPublish: 'Only the site can post in this channel.',
  reasonNeedName: 'Enter your name to write.',
};
export default en;
