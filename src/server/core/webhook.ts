/**
 * Delivers a copy of every published message to the app's webhook, so a site backend can keep
 * what is said (the seed's "save messages in our own DB"). Fire-and-forget from the publisher's
 * point of view: enqueue() returns at once and delivery never waits on the receiver.
 * Each POST is signed with the app secret; failures are retried with exponential backoff.
 *
 * Apps do not share a fate: each has its own queue (bounded in messages and bytes, dropping its
 * oldest when full), its own share of the requests in flight, and its own circuit breaker, so an app
 * whose receiver hangs or fails delays and costs only itself. A global cap on requests in flight
 * keeps many such apps from taking every socket; free slots go to the apps in turn.
 *
 * The breaker opens after `breakerThreshold` consecutive failed attempts (network error, timeout,
 * 5xx, 408, 429). While it is open nothing is sent to that app; its new messages are held within the
 * app's bound (the oldest dropped when full, as always). After `breakerCooldownMs` one message is
 * sent as a probe: success closes the breaker and the held messages flow again, failure opens it
 * for another cool-down. Held messages keep their remaining attempts.
 */
import type { DeleteNotice, IncomingMessage, ReactionNotice } from '../../protocol/wire.js';
import type { Metrics } from '../metrics.js';
import { WebhookAgents } from './webhook-post.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, signWebhook } from './webhook-signature.js';
import { RefusedTargetError } from './webhook-target.js';

/** The defaults of WebhookOptions (docs/http-api.md lists them). */
export const WEBHOOK_DEFAULTS = {
  maxAttempts: 5,
  baseDelayMs: 500,
  timeoutMs: 5000,
  maxQueue: 1000,
  maxQueueBytes: 4 * 1024 * 1024,
  concurrency: 4,
  maxInFlight: 64,
  breakerThreshold: 5,
  breakerCooldownMs: 30_000,
} as const;

export interface WebhookOptions {
  /** Attempts per message, the first included. */
  maxAttempts?: number;
  /** Delay before the first retry; doubles each time, with ±50% jitter. */
  baseDelayMs?: number;
  /** Per-request timeout. */
  timeoutMs?: number;
  /** Messages one app may have waiting (queued or between retries) before its oldest is dropped. */
  maxQueue?: number;
  /** Bytes of request bodies one app may have waiting before its oldest is dropped. */
  maxQueueBytes?: number;
  /** Requests in flight at once for one app. */
  concurrency?: number;
  /** Requests in flight at once over every app. */
  maxInFlight?: number;
  /** Consecutive failed attempts of an app that open its breaker. */
  breakerThreshold?: number;
  /** How long an open breaker waits before it lets one probe through. */
  breakerCooldownMs?: number;
  /** Timers (retries, timeouts, cool-downs); default the real ones. */
  timers?: WebhookTimers;
  /** Milliseconds since the epoch, for the signed timestamp: the server passes its core's clock. */
  clock?: () => number;
  /** Told about deliveries given up on (for logging). */
  onGiveUp?: (appId: string, url: string, reason: string) => void;
}

/** The dispatcher's timers: real by default, driven by hand in tests. */
export interface WebhookTimers {
  /** Calls `fn` once after `ms`; the returned function cancels that. */
  after(ms: number, fn: () => void): () => void;
}

const realTimers: WebhookTimers = {
  after(ms, fn) {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return () => clearTimeout(timer);
  },
};

/** What the dispatcher needs to know of an app. */
export interface WebhookApp {
  secret: string;
  /** May the webhook point at private, loopback, link-local… addresses? Default no. */
  allowPrivateWebhooks?: boolean;
}

/** What the dispatcher holds right now, for /metrics and tests. */
export interface WebhookBacklog {
  /** Apps with anything held: messages, requests, or a breaker not closed. */
  apps: number;
  /** Messages queued or waiting to retry, over every app (requests in flight not included). */
  messages: number;
  /** Their request bodies, in bytes. */
  bytes: number;
  inFlight: number;
  /** Apps whose breaker is open or half-open. */
  openBreakers: number;
}

/**
 * What happened, as the webhook tells it: `type` says which; a message published or edited comes whole
 * (an edited one with `server_info.edited`), a deletion and a reaction as the notice subscribers got.
 */
export type WebhookEvent =
  | { type: 'message.published' | 'message.edited'; message: IncomingMessage }
  | { type: 'message.deleted'; deleted: DeleteNotice }
  | { type: 'reaction.added' | 'reaction.removed'; reaction: ReactionNotice };

/** The JSON body POSTed to a webhook. */
export type WebhookBody = {
  app: string;
  /**
   * The app's marker epoch: markers repeat only across epochs, so (epoch, marker) identifies a message;
   * (epoch, marker, type) and the edit time one change of it.
   */
  epoch: string;
} & WebhookEvent;

interface Job {
  appId: string;
  url: string;
  body: string;
  bytes: number;
  attempt: number;
}

/** One app's share: its queue, its retries, its requests in flight and its breaker. */
interface AppState {
  readonly id: string;
  /** Waiting for a request slot, oldest first. */
  readonly ready: Job[];
  /** Waiting for their retry time, keyed by the function that cancels the timer. */
  readonly retrying: Map<() => void, Job>;
  /** Bytes of the bodies in `ready` and `retrying`. */
  bytes: number;
  inFlight: number;
  /** Consecutive failed attempts. */
  failures: number;
  /** Closed: send. Open: send nothing until the cool-down is over. Half-open: one probe at a time. */
  breaker: 'closed' | 'open' | 'half-open';
  /** The half-open probe is in flight. */
  probing: boolean;
  cancelCooldown: (() => void) | undefined;
}

type Outcome = 'sent' | 'final' | 'failed' | 'refused';

export class WebhookDispatcher {
  /** Apps holding anything; an app is dropped from here as soon as it holds nothing. */
  private readonly apps = new Map<string, AppState>();
  private readonly running = new Set<Promise<void>>();
  private readonly aborter = new AbortController();
  private readonly agents: WebhookAgents;
  private readonly timers: WebhookTimers;
  private readonly now: () => number;
  private readonly o: Required<Omit<WebhookOptions, 'timers' | 'clock' | 'onGiveUp'>>;
  private closed = false;

  constructor(
    private readonly getApp: (appId: string) => WebhookApp | undefined,
    private readonly metrics?: Metrics,
    private readonly options: WebhookOptions = {},
  ) {
    const d = WEBHOOK_DEFAULTS;
    const atLeast1 = (n: number | undefined, fallback: number): number => Math.max(1, n ?? fallback);
    this.o = {
      maxAttempts: atLeast1(options.maxAttempts, d.maxAttempts),
      baseDelayMs: options.baseDelayMs ?? d.baseDelayMs,
      timeoutMs: options.timeoutMs ?? d.timeoutMs,
      maxQueue: atLeast1(options.maxQueue, d.maxQueue),
      maxQueueBytes: atLeast1(options.maxQueueBytes, d.maxQueueBytes),
      concurrency: atLeast1(options.concurrency, d.concurrency),
      maxInFlight: atLeast1(options.maxInFlight, d.maxInFlight),
      breakerThreshold: atLeast1(options.breakerThreshold, d.breakerThreshold),
      breakerCooldownMs: options.breakerCooldownMs ?? d.breakerCooldownMs,
    };
    this.timers = options.timers ?? realTimers;
    this.now = options.clock ?? Date.now;
    this.agents = new WebhookAgents();
    metrics?.watchWebhooks(() => this.backlog());
  }

  /** Queues one event for the app's webhook. Never throws, never waits. */
  enqueue(appId: string, url: string, event: WebhookEvent, epoch: string): void {
    if (this.closed) return;
    const body: WebhookBody = { app: appId, epoch, ...event };
    let text: string;
    try {
      text = JSON.stringify(body);
    } catch {
      this.giveUp({ appId, url, body: '', bytes: 0, attempt: 0 }, 'failed', 'message not serializable');
      return;
    }
    const app = this.stateOf(appId);
    this.hold(app, { appId, url, body: text, bytes: Buffer.byteLength(text), attempt: 0 });
    this.forgetIfIdle(app);
    this.pump();
  }

  /** Messages not yet delivered or given up on (queued, waiting to retry, or in flight). */
  get pending(): number {
    let n = 0;
    for (const app of this.apps.values()) n += app.ready.length + app.retrying.size + app.inFlight;
    return n;
  }

  backlog(): WebhookBacklog {
    const b: WebhookBacklog = { apps: this.apps.size, messages: 0, bytes: 0, inFlight: 0, openBreakers: 0 };
    for (const app of this.apps.values()) {
      b.messages += app.ready.length + app.retrying.size;
      b.bytes += app.bytes;
      b.inFlight += app.inFlight;
      if (app.breaker !== 'closed') b.openBreakers += 1;
    }
    return b;
  }

  /**
   * Shutting down: goes on delivering (retries included) until nothing is pending or `timeoutMs` has
   * passed, then close()s. Resolves with how many messages were dropped for lack of time.
   */
  async flush(timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (this.pending > 0 && Date.now() < deadline) {
      // A request settles, or a retry or cool-down timer fires and refills a queue: look again.
      await Promise.race([...this.running, new Promise((r) => setTimeout(r, Math.min(50, deadline - Date.now())))]);
    }
    const dropped = this.pending;
    await this.close();
    return dropped;
  }

  /** Stops: drops what is queued, cancels retries, aborts requests in flight and waits for them to settle. */
  async close(): Promise<void> {
    this.closed = true;
    for (const app of this.apps.values()) {
      for (const cancel of app.retrying.keys()) cancel();
      app.cancelCooldown?.();
    }
    this.apps.clear();
    this.aborter.abort();
    await Promise.allSettled([...this.running]);
    this.agents.destroy();
  }

  private stateOf(appId: string): AppState {
    let app = this.apps.get(appId);
    if (!app) {
      app = {
        id: appId,
        ready: [],
        retrying: new Map(),
        bytes: 0,
        inFlight: 0,
        failures: 0,
        breaker: 'closed',
        probing: false,
        cancelCooldown: undefined,
      };
      this.apps.set(appId, app);
    }
    return app;
  }

  /** An app holding nothing costs nothing: its state goes (a breaker not closed is kept until it closes). */
  private forgetIfIdle(app: AppState): void {
    if (app.ready.length === 0 && app.retrying.size === 0 && app.inFlight === 0 && app.breaker === 'closed') {
      this.apps.delete(app.id);
    }
  }

  /** Adds a job to the app's queue, first dropping its oldest waiting ones until the job fits the bounds. */
  private hold(app: AppState, job: Job): void {
    if (!this.makeRoom(app, job)) return;
    app.ready.push(job);
    app.bytes += job.bytes;
  }

  /**
   * Makes room within the app's bounds for a job about to wait (queued or between retries), dropping
   * the oldest waiting ones; false, with the job given up, when it could never fit.
   */
  private makeRoom(app: AppState, job: Job): boolean {
    if (job.bytes > this.o.maxQueueBytes) {
      this.giveUp(job, 'dropped', 'larger than the queue');
      return false;
    }
    while (app.ready.length + app.retrying.size >= this.o.maxQueue || app.bytes + job.bytes > this.o.maxQueueBytes) {
      this.dropOldest(app);
    }
    return true;
  }

  /** Drops the oldest queued job or, when none is queued, the retry scheduled first. */
  private dropOldest(app: AppState): void {
    let job = app.ready.shift();
    if (!job) {
      const [cancel, retry] = app.retrying.entries().next().value as [() => void, Job];
      cancel();
      app.retrying.delete(cancel);
      job = retry;
    }
    app.bytes -= job.bytes;
    this.giveUp(job, 'dropped', 'queue full');
  }

  /** Starts requests while slots are free, one per app in turn so that every app gets its share. */
  private pump(): void {
    let started = true;
    while (!this.closed && started && this.running.size < this.o.maxInFlight) {
      started = false;
      for (const app of [...this.apps.values()]) {
        if (this.running.size >= this.o.maxInFlight) break;
        if (!this.mayStart(app)) continue;
        this.start(app);
        started = true;
        // To the back of the line.
        this.apps.delete(app.id);
        this.apps.set(app.id, app);
      }
    }
  }

  private mayStart(app: AppState): boolean {
    if (app.ready.length === 0 || app.inFlight >= this.o.concurrency) return false;
    if (app.breaker === 'closed') return true;
    return app.breaker === 'half-open' && !app.probing;
  }

  private start(app: AppState): void {
    const job = app.ready.shift()!;
    app.bytes -= job.bytes;
    app.inFlight += 1;
    const probe = app.breaker === 'half-open';
    if (probe) app.probing = true;
    // attempt() handles its own failures; the catch only keeps a bug from becoming an unhandled rejection.
    const run = this.attempt(job)
      .catch((): Outcome => 'failed')
      .then((outcome) => {
        if (this.closed) return;
        app.inFlight -= 1;
        this.judge(app, outcome, probe);
        this.forgetIfIdle(app);
      })
      .finally(() => {
        this.running.delete(run);
        this.pump();
      });
    this.running.add(run);
  }

  /** The breaker's bookkeeping after one attempt. */
  private judge(app: AppState, outcome: Outcome, probe: boolean): void {
    if (probe) app.probing = false;
    if (outcome === 'sent' || outcome === 'final') {
      // The receiver answers: whatever was open closes.
      app.failures = 0;
      app.breaker = 'closed';
      app.cancelCooldown?.();
      app.cancelCooldown = undefined;
    } else if (outcome === 'failed') {
      app.failures += 1;
      if (probe || (app.breaker === 'closed' && app.failures >= this.o.breakerThreshold)) this.openBreaker(app);
    }
  }

  private openBreaker(app: AppState): void {
    if (app.breaker === 'closed') this.metrics?.webhookBreakerOpened(app.id);
    app.breaker = 'open';
    app.cancelCooldown?.();
    app.cancelCooldown = this.timers.after(this.o.breakerCooldownMs, () => {
      app.cancelCooldown = undefined;
      app.breaker = 'half-open';
      this.pump();
    });
  }

  private async attempt(job: Job): Promise<Outcome> {
    const target = this.getApp(job.appId);
    if (target === undefined) {
      this.giveUp(job, 'failed', 'unknown app');
      return 'refused';
    }
    job.attempt += 1;
    const timestamp = String(Math.floor(this.now() / 1000));
    const timeout = new AbortController();
    const cancelTimeout = this.timers.after(this.o.timeoutMs, () => timeout.abort());
    let failure: string;
    try {
      const status = await this.agents.post({
        url: job.url,
        headers: {
          'Content-Type': 'application/json',
          [SIGNATURE_HEADER]: signWebhook(target.secret, timestamp, job.body),
          [TIMESTAMP_HEADER]: timestamp,
          'User-Agent': 'comet-chat-webhook',
        },
        body: job.body,
        allowPrivate: target.allowPrivateWebhooks === true,
        signal: AbortSignal.any([this.aborter.signal, timeout.signal]),
      });
      if (status >= 200 && status < 300) {
        this.metrics?.webhook('sent');
        return 'sent';
      }
      failure = `HTTP ${status}`;
      if (!isRetryableStatus(status)) {
        this.giveUp(job, 'failed', failure);
        return 'final';
      }
    } catch (err) {
      if (this.closed) return 'failed';
      if (err instanceof RefusedTargetError) {
        this.giveUp(job, 'refused', err.message);
        return 'refused';
      }
      failure = timeout.signal.aborted
        ? `timed out after ${this.o.timeoutMs} ms`
        : err instanceof Error
          ? err.message
          : String(err);
    } finally {
      cancelTimeout();
    }
    if (job.attempt >= this.o.maxAttempts) this.giveUp(job, 'failed', `${failure} after ${job.attempt} attempts`);
    else this.retryLater(job);
    return 'failed';
  }

  private retryLater(job: Job): void {
    if (this.closed) return;
    this.metrics?.webhook('retried');
    const app = this.stateOf(job.appId);
    if (!this.makeRoom(app, job)) return;
    const delay = this.o.baseDelayMs * 2 ** (job.attempt - 1) * (0.5 + Math.random());
    const cancel = this.timers.after(delay, () => {
      app.retrying.delete(cancel);
      app.ready.push(job);
      this.pump();
    });
    app.retrying.set(cancel, job);
    app.bytes += job.bytes;
  }

  private giveUp(job: Job, outcome: 'failed' | 'dropped' | 'refused', reason: string): void {
    this.metrics?.webhook(outcome === 'dropped' ? 'dropped' : 'failed');
    this.metrics?.error(`webhook_${outcome}`);
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
