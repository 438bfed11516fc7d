/**
 * One webhook request: a POST over node:http(s) that connects only to addresses the app may
 * reach (see webhook-target.ts), never follows a redirect, and reads at most a little of the answer.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { guardedLookup, refusedHost, RefusedTargetError } from './webhook-target.js';

/** The answer's body is not used; reading more than this only keeps a socket busy. */
const MAX_ANSWER_BYTES = 64 * 1024;
/** An idle kept-alive connection is closed after this long. */
const IDLE_SOCKET_MS = 5000;

export interface PostRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** May the target be a private, loopback… address (the app's allowPrivateWebhooks)? */
  allowPrivate: boolean;
  signal: AbortSignal;
}

/**
 * Keep-alive agents, kept apart by whether private targets are allowed: a connection opened for an
 * app allowed them must never be reused by one that is not (the pool is keyed by host and port only).
 * The dispatcher bounds the requests in flight; the agents only keep connections warm.
 */
export class WebhookAgents {
  private readonly agents: { http: HttpAgent; https: HttpsAgent }[];

  constructor() {
    const options = { keepAlive: true, timeout: IDLE_SOCKET_MS };
    this.agents = [0, 1].map(() => ({ http: new HttpAgent(options), https: new HttpsAgent(options) }));
  }

  /**
   * POSTs and resolves with the status once the answer is read (or cut at MAX_ANSWER_BYTES).
   * Rejects with RefusedTargetError before any byte is sent to a refused address, and with the
   * network error or the signal's reason otherwise.
   */
  post(req: PostRequest): Promise<number> {
    const url = new URL(req.url);
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (!req.allowPrivate && isIP(host) !== 0) {
      // Literal addresses never reach `lookup`; the URL was checked when set, but a stored URL may predate the rule.
      const refused = refusedHost(req.url);
      if (refused !== undefined) return Promise.reject(new RefusedTargetError(refused));
    }
    const pair = this.agents[req.allowPrivate ? 1 : 0];
    const https = url.protocol === 'https:';
    const send = https ? httpsRequest : httpRequest;
    return new Promise<number>((resolve, reject) => {
      const request = send(url, {
        method: 'POST',
        headers: { ...req.headers, 'Content-Length': String(Buffer.byteLength(req.body)) },
        agent: https ? pair.https : pair.http,
        signal: req.signal,
        ...(req.allowPrivate ? {} : { lookup: guardedLookup }),
      });
      request.on('error', reject);
      request.on('response', (res: IncomingMessage) => {
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_ANSWER_BYTES) {
            res.destroy();
            resolve(res.statusCode ?? 0);
          }
        });
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      });
      request.end(req.body);
    });
  }

  /** Closes the kept-alive connections. */
  destroy(): void {
    for (const pair of this.agents) {
      pair.http.destroy();
      pair.https.destroy();
    }
  }
}
