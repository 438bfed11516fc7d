/**
 * The signature of a webhook request, both ways: the server signs each POST, and a receiver written in
 * Node checks it with `verifyWebhook` (`import { verifyWebhook } from 'comet-chat-server/webhook'`).
 * `sha256=<hex>` is HMAC-SHA256, keyed with the app secret, of `<timestamp>.<raw body>`: signing the
 * timestamp too lets a receiver refuse an old request replayed by someone who captured it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-Comet-Signature';
export const TIMESTAMP_HEADER = 'X-Comet-Timestamp';
/** How far a request's timestamp may be from the receiver's clock by default (seconds). */
export const WEBHOOK_TOLERANCE_S = 300;

export function signWebhook(secret: string, timestamp: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')}`;
}

export interface WebhookRequestParts {
  /** The `X-Comet-Signature` header. */
  signature: string | undefined;
  /** The `X-Comet-Timestamp` header (unix seconds). */
  timestamp: string | undefined;
  /** The raw body, before any JSON parsing. */
  body: string | Buffer;
}

/**
 * True when the request was signed with `secret` and its timestamp is within `toleranceSeconds` of
 * `nowMs`. Compares in constant time.
 *
 * @example
 * const ok = verifyWebhook(process.env.COMET_SECRET, {
 *   signature: req.headers['x-comet-signature'],
 *   timestamp: req.headers['x-comet-timestamp'],
 *   body: rawBody,
 * });
 */
export function verifyWebhook(
  secret: string,
  request: WebhookRequestParts,
  { toleranceSeconds = WEBHOOK_TOLERANCE_S, nowMs = Date.now() }: { toleranceSeconds?: number; nowMs?: number } = {},
): boolean {
  const { signature, timestamp, body } = request;
  if (typeof signature !== 'string' || typeof timestamp !== 'string' || !/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > toleranceSeconds) return false;
  const expected = Buffer.from(signWebhook(secret, timestamp, body));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
