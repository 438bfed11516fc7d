/** The shared protocol: imported by the browser client and the server alike. Schemas live in ./schemas.js (server side). */
export * from './limits.js';
export * from './names.js';
export * from './wire.js';
