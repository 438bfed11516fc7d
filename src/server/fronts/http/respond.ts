/** Writing JSON answers and errors, and turning core refusals into HTTP statuses. */
import type { ServerResponse } from 'node:http';
import type { ErrorCode } from '../../../protocol/wire.js';
import { CoreError } from '../../core/errors.js';

/** Error codes of the HTTP front itself, next to the core's ErrorCode. */
export type HttpErrorCode = ErrorCode | 'unauthorized' | 'method_not_allowed' | 'unsupported_media_type';

/** A refusal decided by the HTTP front (bad body, bad auth, unknown route). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: HttpErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

const STATUS_OF_CORE_CODE: Record<ErrorCode, number> = {
  invalid: 400,
  invalid_pipe: 400,
  too_many_pipes: 400,
  too_large: 413,
  forbidden: 403,
  banned: 403,
  not_found: 404,
  rate_limited: 429,
  backpressure: 429,
  unavailable: 503,
  internal: 500,
};

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(text);
}

/**
 * Answers an error as `{error, message}`. Anything that is neither an HttpError nor a CoreError is an
 * internal fault: the client gets a generic 500 and the detail goes to `log` only.
 */
export function sendError(res: ServerResponse, err: unknown, log: (msg: string, err: unknown) => void): number {
  let status: number;
  let code: HttpErrorCode;
  let message: string;
  let headers: Record<string, string> = {};
  if (err instanceof HttpError) {
    ({ status, code, message, headers } = err);
  } else if (err instanceof CoreError) {
    status = STATUS_OF_CORE_CODE[err.code] ?? 500;
    code = err.code;
    message = status === 500 ? 'internal error' : err.message;
    if (status === 500) log('core error', err);
  } else {
    status = 500;
    code = 'internal';
    message = 'internal error';
    log('unexpected error in the HTTP front', err);
  }
  if (res.headersSent) {
    res.destroy();
    return status;
  }
  sendJson(res, status, { error: code, message }, headers);
  return status;
}
