/** Comparing secrets (app secrets, user keys) without leaking through timing where they differ or how long they are. */
import { createHash, timingSafeEqual } from 'node:crypto';

/** True when `given` equals a non-empty `expected`. Hashing first makes both sides the same length. */
export function secretsEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b) && expected.length > 0;
}
