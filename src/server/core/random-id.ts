import { randomBytes } from 'node:crypto';

/** Random bytes drawn from the system at a time: one draw serves hundreds of ids. */
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let used = 0;

/**
 * A random base64url id of `bytes` random bytes, taken from a pool (as node's randomUUID does): a draw
 * from the system costs tens of µs whatever its size, and every guest connection needs an id as it opens.
 * Each byte is used once.
 */
export function randomId(bytes: number): string {
  if (used + bytes > pool.length) {
    pool = randomBytes(Math.max(POOL_BYTES, bytes));
    used = 0;
  }
  const id = pool.toString('base64url', used, used + bytes);
  used += bytes;
  return id;
}
