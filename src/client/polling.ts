/**
 * engine.io's HTTP long-polling transport, for networks that refuse WebSocket. Loaded only when needed
 * (transport-fallback.ts): the browser bundle has it as a chunk of its own, comet-chat-polling.js.
 */
export { XHR as Polling } from 'socket.io-client';
