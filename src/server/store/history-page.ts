/** The byte limit of a history page, one rule for every store. */

/** One history entry as a store reads it: its size is known before its body is parsed. */
export interface SizedRow {
  /** UTF-8 bytes of the stored JSON. */
  size: number;
}

/**
 * Takes rows in paging order (newest first when paging back, oldest first when catching up) while
 * they fit in `maxBytes`; the first row is always taken, so a page is never empty while rows remain.
 */
export function takeWithin<T extends SizedRow>(
  rows: Iterable<T>,
  maxBytes: number | undefined,
): { taken: T[]; bytes: number; more: boolean } {
  const taken: T[] = [];
  let bytes = 0;
  for (const row of rows) {
    if (taken.length > 0 && maxBytes !== undefined && bytes + row.size > maxBytes) return { taken, bytes, more: true };
    taken.push(row);
    bytes += row.size;
  }
  return { taken, bytes, more: false };
}

/** UTF-8 bytes of a stored body. */
export const sizeOf = (body: string): number => Buffer.byteLength(body);
