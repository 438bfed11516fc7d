/**
 * Server counters and gauges, rendered in the Prometheus text exposition format (0.0.4).
 * Written small on purpose (no prom-client): a handful of numbers, and label sets kept bounded
 * so that a scrape stays cheap however many apps, pipes or error codes the server sees.
 */
import { appPipeKey, splitAppPipeKey } from './core/app-pipe.js';

/** How many per-pipe series `comet_pipe_subscribers` shows; smaller pipes are summed into one `(other)` series. */
export const DEFAULT_MAX_PIPE_SERIES = 100;
/** Distinct label values kept for apps, error codes and webhook outcomes before folding into `(other)`. */
const MAX_LABEL_VALUES = 64;
/** Label value of folded series; parentheses never occur in pipe names, app ids or error codes. */
export const OTHER_LABEL = '(other)';

export type WebhookOutcome = 'sent' | 'retried' | 'failed' | 'dropped';

/** What the webhook dispatcher holds at the moment of a scrape. */
export interface WebhookGauges {
  messages: number;
  bytes: number;
  openBreakers: number;
}

/** What the socket front reports about output and addresses. */
export interface OutputGauges {
  pendingBytes: number;
  slowConnections: number;
  addresses: number;
}

export interface MetricsOptions {
  maxPipeSeries?: number;
}

/** A counter with one label, bounded in distinct label values. */
class LabelledCounter {
  private readonly values = new Map<string, number>();

  add(label: string, n = 1): void {
    const key = this.values.has(label) || this.values.size < MAX_LABEL_VALUES ? label : OTHER_LABEL;
    this.values.set(key, (this.values.get(key) ?? 0) + n);
  }

  entries(): [string, number][] {
    return [...this.values.entries()].sort(([a], [b]) => a.localeCompare(b));
  }
}

export class Metrics {
  private connections = 0;
  private messagesOutTotal = 0;
  private deliveriesTotal = 0;
  private readonly messagesIn = new LabelledCounter();
  private readonly errors = new LabelledCounter();
  private readonly webhooks = new LabelledCounter();
  private readonly webhookBreakerTrips = new LabelledCounter();
  private webhookGauges: (() => WebhookGauges) | undefined;
  private outputGauges: (() => OutputGauges) | undefined;
  private readonly httpResponses = new LabelledCounter();
  /** Subscriber count per `app \0 pipe`; pipes with no subscribers are not kept. */
  private readonly pipeSubscribers = new Map<string, number>();
  private readonly maxPipeSeries: number;

  constructor(options: MetricsOptions = {}) {
    this.maxPipeSeries = options.maxPipeSeries ?? DEFAULT_MAX_PIPE_SERIES;
  }

  connectionOpened(): void {
    this.connections += 1;
  }

  connectionClosed(): void {
    this.connections = Math.max(0, this.connections - 1);
  }

  /** One message published into the app (from a browser or a backend). */
  messageIn(appId: string): void {
    this.messagesIn.add(appId);
  }

  /** Messages handed to subscriber connections. */
  messagesOut(n: number): void {
    this.messagesOutTotal += n;
  }

  /** Deliveries acknowledged by receivers (receipt mode). */
  delivered(n: number): void {
    this.deliveriesTotal += n;
  }

  /** A refusal or failure, by error code (ErrorCode of the wire protocol, or a front's own). */
  error(code: string): void {
    this.errors.add(code);
  }

  webhook(outcome: WebhookOutcome): void {
    this.webhooks.add(outcome);
  }

  /** An app's webhook circuit breaker opened (its receiver kept failing). */
  webhookBreakerOpened(appId: string): void {
    this.webhookBreakerTrips.add(appId);
  }

  /** Where the webhook gauges are read at each scrape. */
  watchWebhooks(source: () => WebhookGauges): void {
    this.webhookGauges = source;
  }

  /** Where the socket front's gauges are read at each scrape. */
  watchOutput(source: () => OutputGauges): void {
    this.outputGauges = source;
  }

  /** One answered HTTP request, by status code. */
  httpResponse(status: number): void {
    this.httpResponses.add(String(status));
  }

  setPipeSubscribers(appId: string, pipe: string, count: number): void {
    const key = appPipeKey(appId, pipe);
    if (count > 0) this.pipeSubscribers.set(key, count);
    else this.pipeSubscribers.delete(key);
  }

  render(): string {
    const out: string[] = [];
    const family = (name: string, type: 'counter' | 'gauge', help: string, samples: string[]): void => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...samples);
    };
    const memory = process.memoryUsage();

    family('comet_connections', 'gauge', 'Open client connections on this node.', [
      `comet_connections ${this.connections}`,
    ]);
    family(
      'comet_messages_in_total',
      'counter',
      'Messages published, by app.',
      this.messagesIn.entries().map(([app, n]) => `comet_messages_in_total${labels({ app })} ${n}`),
    );
    family('comet_messages_out_total', 'counter', 'Messages handed to subscriber connections.', [
      `comet_messages_out_total ${this.messagesOutTotal}`,
    ]);
    family('comet_deliveries_total', 'counter', 'Deliveries acknowledged by receivers.', [
      `comet_deliveries_total ${this.deliveriesTotal}`,
    ]);
    family(
      'comet_errors_total',
      'counter',
      'Refusals and failures, by error code.',
      this.errors.entries().map(([code, n]) => `comet_errors_total${labels({ code })} ${n}`),
    );
    family(
      'comet_webhook_requests_total',
      'counter',
      'Webhook attempts, by outcome.',
      this.webhooks.entries().map(([outcome, n]) => `comet_webhook_requests_total${labels({ outcome })} ${n}`),
    );
    family(
      'comet_webhook_breaker_opened_total',
      'counter',
      "Times an app's webhook circuit breaker opened, by app.",
      this.webhookBreakerTrips.entries().map(([app, n]) => `comet_webhook_breaker_opened_total${labels({ app })} ${n}`),
    );
    const hooks = this.webhookGauges?.() ?? { messages: 0, bytes: 0, openBreakers: 0 };
    family(
      'comet_webhook_queued_messages',
      'gauge',
      'Webhook messages waiting (queued or between retries), all apps.',
      [`comet_webhook_queued_messages ${hooks.messages}`],
    );
    family('comet_webhook_queued_bytes', 'gauge', 'Bytes of the webhook messages waiting, all apps.', [
      `comet_webhook_queued_bytes ${hooks.bytes}`,
    ]);
    family('comet_webhook_open_breakers', 'gauge', 'Apps whose webhook circuit breaker is open or half-open.', [
      `comet_webhook_open_breakers ${hooks.openBreakers}`,
    ]);
    const output = this.outputGauges?.() ?? { pendingBytes: 0, slowConnections: 0, addresses: 0 };
    family(
      'comet_output_pending_bytes',
      'gauge',
      'Bytes handed to connections and not yet written out, all connections of this node.',
      [`comet_output_pending_bytes ${output.pendingBytes}`],
    );
    family(
      'comet_output_slow_connections',
      'gauge',
      'Connections over their output budget (refused requests until they read).',
      [`comet_output_slow_connections ${output.slowConnections}`],
    );
    family('comet_client_addresses', 'gauge', 'Client addresses the per-address limits remember.', [
      `comet_client_addresses ${output.addresses}`,
    ]);
    family(
      'comet_http_responses_total',
      'counter',
      'HTTP responses, by status code.',
      this.httpResponses.entries().map(([status, n]) => `comet_http_responses_total${labels({ status })} ${n}`),
    );
    family('comet_pipes', 'gauge', 'Pipes with at least one subscriber on this node.', [
      `comet_pipes ${this.pipeSubscribers.size}`,
    ]);
    family(
      'comet_pipe_subscribers',
      'gauge',
      `Subscribers per pipe on this node: the ${this.maxPipeSeries} largest pipes, the rest summed as "${OTHER_LABEL}".`,
      this.pipeSeries().map(([app, pipe, n]) => `comet_pipe_subscribers${labels({ app, pipe })} ${n}`),
    );
    family('process_resident_memory_bytes', 'gauge', 'Resident set size in bytes.', [
      `process_resident_memory_bytes ${memory.rss}`,
    ]);
    family('nodejs_heap_used_bytes', 'gauge', 'V8 heap in use, in bytes.', [
      `nodejs_heap_used_bytes ${memory.heapUsed}`,
    ]);
    family('process_uptime_seconds', 'gauge', 'Seconds since the process started.', [
      `process_uptime_seconds ${Math.round(process.uptime())}`,
    ]);
    return out.join('\n') + '\n';
  }

  /** The largest pipes as [app, pipe, count], then one summed `(other)` series when some were left out. */
  private pipeSeries(): [string, string, number][] {
    const all = [...this.pipeSubscribers.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    const shown = all.slice(0, this.maxPipeSeries).map(([key, n]): [string, string, number] => {
      const [app, pipe] = splitAppPipeKey(key);
      return [app, pipe, n];
    });
    if (all.length > this.maxPipeSeries) {
      const rest = all.slice(this.maxPipeSeries).reduce((sum, [, n]) => sum + n, 0);
      shown.push([OTHER_LABEL, OTHER_LABEL, rest]);
    }
    return shown;
  }
}

function labels(set: Record<string, string>): string {
  const body = Object.entries(set)
    .map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
    .join(',');
  return `{${body}}`;
}
