import type { ErrorCode } from '../../protocol/wire.js';

/** A refusal the core gives for bad input or a forbidden act; fronts map it to their own error form. */
export class CoreError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CoreError';
  }
}
