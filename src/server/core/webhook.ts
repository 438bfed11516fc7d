/**
 * Delivers a copy of every published message to the app's webhook, so a site backend can keep
 * what is said (the seed's "save messages in our own DB"). Fire-and-forget from the publisher's
 * point of view: enqueue() returns at once and delivery never waits on the receiver.
 * Each POST is signed with the app secret; failures are retried with exponential backoff;
 * the queue is bounded and drops its oldest entry when full.
 */
import { createHmac } from 'node:crypto';
import type { IncomingMessage } from '../../protocol/wire.js';
import type { Metrics } from '../metrics.js';

export const SIGNATURE_HEADER = 'X-Comet-Signature';
export const TIMESTAMP_HEADER = 'X-Comet-Timestamp';

export interface WebhookOptions {
  /** Attempts per message, the first included. Default 5. */
  maxAttempts?: number;
  /** Delay before the first retry; doubles each time, with ±50% jitter. Default 500 ms. */
  baseDelayMs?: number;
  /** Per-request timeout. Default 5000 ms. */
  timeoutMs?: number;
  /** Messages waiting (queued or between retries) before the oldest is dropped. Default 10000. */
  maxQueue?: number;
  /** Requests in flight at once. Default 4. */
  concurrency?: number;
  /** Told about deliveries given up on (for logging). */
  onGiveUp?: (appId: string, url: string, reason: string) => void;
}

/** The JSON body POSTed to a webhook. */
export interface WebhookBody {
  app: string;
  message: IncomingMessage;
}

interface Job {
  appId: string;
  url: string;
  body: string;
  attempt: number;
}

/**
 * `sha256=<hex>`: HMAC-SHA256, keyed with the app secret, of `<timestamp>.<raw body>`. Signing the
 * timestamp too lets a receiver refuse an old request replayed by someone who captured it.
 */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export class WebhookDispatcher {
  private readonly queue: Job[] = [];
  /** Jobs waiting for their retry timer. */
  private readonly waiting = new Map<NodeJS.Timeout, Job>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly aborter = new AbortController();
  private closed = false;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly timeoutMs: number;
  private readonly maxQueue: number;
  private readonly concurrency: number;

  constructor(
    private readonly getSecret: (appId: string) => string | undefined,
    private readonly metrics?: Metrics,
    private readonly options: WebhookOptions = {},
  ) {
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 5);
    this.baseDelayMs = options.baseDelayMs ?? 500;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.maxQueue = Math.max(1, options.maxQueue ?? 10_000);
    this.concurrency = Math.max(1, options.concurrency ?? 4);
  }

  /** Queues one message for the app's webhook. Never throws, never waits. */
  enqueue(appId: string, url: string, message: IncomingMessage): void {
    if (this.closed) return;
    const body: WebhookBody = { app: appId, message };
    let text: string;
    try {
      text = JSON.stringify(body);
    } catch {
      this.giveUp({ appId, url, body: '', attempt: 0 }, 'failed', 'message not serializable');
      return;
    }
    this.push({ appId, url, body: text, attempt: 0 });
  }

  /** Messages not yet delivered or given up on (queued, waiting to retry, or in flight). */
  get pending(): number {
    return this.queue.length + this.waiting.size + this.inFlight.size;
  }

  /** Stops: drops what is queued, cancels retries, aborts requests in flight and waits for them to settle. */
  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.waiting.keys()) clearTimeout(timer);
    this.waiting.clear();
    this.queue.length = 0;
    this.aborter.abort();
    await Promise.allSettled([...this.inFlight]);
  }

  private push(job: Job): void {
    if (this.queue.length + this.waiting.size >= this.maxQueue) {
      const oldest = this.queue.shift();
      if (oldest) this.giveUp(oldest, 'dropped', 'queue full');
      else {
        // Everything waiting is between retries: drop the new one rather than a retry in progress.
        this.giveUp(job, 'dropped', 'queue full');
        return;
      }
    }
    this.queue.push(job);
    this.pump();
  }

  private pump(): void {
    while (!this.closed && this.inFlight.size < this.concurrency && this.queue.length > 0) {
      const job = this.queue.shift()!;
      // attempt() handles its own failures; the catch only keeps a bug from becoming an unhandled rejection.
      const run = this.attempt(job)
        .catch(() => undefined)
        .finally(() => {
          this.inFlight.delete(run);
          this.pump();
        });
      this.inFlight.add(run);
    }
  }

  private async attempt(job: Job): Promise<void> {
    const secret = this.getSecret(job.appId);
    if (secret === undefined) {
      this.giveUp(job, 'failed', 'unknown app');
      return;
    }
    job.attempt += 1;
    let failure: string;
    const timestamp = String(Math.floor(Date.now() / 1000));
    try {
      const res = await fetch(job.url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          [SIGNATURE_HEADER]: signWebhook(secret, timestamp, job.body),
          [TIMESTAMP_HEADER]: timestamp,
          'User-Agent': 'comet-chat-webhook',
        },
        body: job.body,
        redirect: 'manual',
        signal: AbortSignal.any([this.aborter.signal, AbortSignal.timeout(this.timeoutMs)]),
      });
      // Read the answer to free the connection; its content does not matter.
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) {
        this.metrics?.webhook('sent');
        return;
      }
      failure = `HTTP ${res.status}`;
      if (!isRetryableStatus(res.status)) {
        this.giveUp(job, 'failed', failure);
        return;
      }
    } catch (err) {
      if (this.closed) return;
      failure = err instanceof Error ? err.message : String(err);
    }
    if (job.attempt >= this.maxAttempts) {
      this.giveUp(job, 'failed', `${failure} after ${job.attempt} attempts`);
      return;
    }
    this.retryLater(job);
  }

  private retryLater(job: Job): void {
    if (this.closed) return;
    this.metrics?.webhook('retried');
    const delay = this.baseDelayMs * 2 ** (job.attempt - 1) * (0.5 + Math.random());
    const timer = setTimeout(() => {
      this.waiting.delete(timer);
      this.queue.push(job);
      this.pump();
    }, delay);
    timer.unref();
    this.waiting.set(timer, job);
  }

  private giveUp(job: Job, outcome: 'failed' | 'dropped', reason: string): void {
    this.metrics?.webhook(outcome);
    this.metrics?.error(outcome === 'dropped' ? 'webhook_dropped' : 'webhook_failed');
    try {
      this.options.onGiveUp?.(job.appId, job.url, reason);
    } catch {
      // A failing logger must not stop deliveries.
    }
  }
}

/** Server errors, timeouts-by-status and rate limiting are worth another try; other refusals are final. */
function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}
