/** Who a ban names, as every store writes it: `u` and a user id, or `c` and a connection id. */
import type { BanSubject } from './types.js';

export function banSubjectParts(
  subject: BanSubject | { user_id?: number; conn_id?: string },
): [kind: 'u' | 'c', id: string] {
  return subject.conn_id !== undefined ? ['c', subject.conn_id] : ['u', String(subject.user_id)];
}

/** The subject as one string: `u:<id>` or `c:<conn>`. */
export const banSubject = (subject: Parameters<typeof banSubjectParts>[0]): string =>
  banSubjectParts(subject).join(':');
