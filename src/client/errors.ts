import type { ErrorCode } from '../protocol/wire.js';

/** Every reason a client call can fail: the server's codes plus two the client alone can know. */
export type ClientErrorCode = ErrorCode | 'disconnected' | 'timeout';

/** What CometClient promises reject with: `code` is machine-readable, `message` is for people. */
export class CometClientError extends Error {
  readonly code: ClientErrorCode;

  constructor(code: ClientErrorCode, message: string) {
    super(message);
    this.name = 'CometClientError';
    this.code = code;
  }
}

/** Any failure as a CometClientError: what is not one already (a bug, a thrown string) becomes `internal`. */
export function asClientError(err: unknown): CometClientError {
  return err instanceof CometClientError
    ? err
    : new CometClientError('internal', err instanceof Error ? err.message : String(err));
}
