/**
 * The backend JSON API, `/api/v1/apps/:app/...`, authenticated with the app secret as a bearer token.
 * Each route validates its input with one schema and makes one BackendApi call.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { describeIssues } from '../../../protocol/schemas.js';
import type { BackendApi } from '../../core/api.js';
import type { LoginFailures } from '../login-failures.js';
import { authenticateBackend } from './backend-auth.js';
import { readJsonBody } from './body.js';
import { HttpError, sendJson } from './respond.js';
import { decodeSegment, Router } from './router.js';
import * as s from './schemas.js';

export const API_PREFIX = '/api/v1/apps/';

interface Call {
  core: BackendApi;
  appId: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: () => Promise<unknown>;
}
type Handler = (call: Call) => Promise<unknown>;

const OK = { ok: true } as const;

function parse<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw new HttpError(400, 'invalid', describeIssues(result.error));
  return result.data;
}

const queryObject = (query: URLSearchParams): Record<string, string> => Object.fromEntries(query);

const routes = new Router<Handler>([
  /* ---- the app itself: a cheap call that only checks the secret (a plugin's "Test connection") ---- */
  {
    method: 'GET',
    pattern: '',
    handler: async ({ appId }) => ({ app: appId }),
  },

  {
    method: 'GET',
    pattern: '/usage',
    handler: async ({ core, appId }) => core.usage(appId),
  },

  /* ---- pipes ---- */
  {
    method: 'POST',
    pattern: '/pipes/:pipe/messages',
    handler: async ({ core, appId, params, body }) => {
      const { pipe } = parse(s.pipeParams, params);
      const { event, data } = parse(s.publishBody, await body());
      return core.publish(appId, pipe, event, data);
    },
  },
  {
    method: 'GET',
    pattern: '/pipes/:pipe/messages',
    handler: async ({ core, appId, params, query }) => {
      const { pipe } = parse(s.pipeParams, params);
      return { messages: await core.history(appId, pipe, parse(s.historyQuery, queryObject(query))) };
    },
  },
  {
    method: 'DELETE',
    pattern: '/pipes/:pipe/messages/:marker',
    handler: async ({ core, appId, params }) => {
      const { pipe, marker } = parse(s.markerParams, params);
      // Subscribers are told either way (live-only messages are on screens too); `stored` says whether history had it.
      return { pipe, marker, stored: await core.deleteMessage(appId, pipe, marker) };
    },
  },
  {
    method: 'PATCH',
    pattern: '/pipes/:pipe/messages/:marker',
    handler: async ({ core, appId, params, body }) => {
      const { pipe, marker } = parse(s.markerParams, params);
      const { data } = parse(s.editBody, await body());
      return { pipe, marker, ...(await core.editMessage(appId, pipe, marker, data)) };
    },
  },
  {
    method: 'GET',
    pattern: '/pipes/:pipe/messages/:marker/reactors',
    handler: async ({ core, appId, params }) => {
      const { pipe, marker } = parse(s.markerParams, params);
      return core.reactors(appId, pipe, marker);
    },
  },
  {
    method: 'GET',
    pattern: '/pipes/:pipe/readers',
    handler: async ({ core, appId, params }) => ({
      readers: await core.readers(appId, parse(s.pipeParams, params).pipe),
    }),
  },
  {
    method: 'GET',
    pattern: '/pipes/:pipe',
    handler: async ({ core, appId, params }) => core.pipeStats(appId, parse(s.pipeParams, params).pipe),
  },
  {
    method: 'GET',
    pattern: '/pipes/:pipe/presence',
    handler: async ({ core, appId, params }) => core.presence(appId, parse(s.pipeParams, params).pipe),
  },
  {
    method: 'GET',
    pattern: '/pipes/:pipe/settings',
    handler: async ({ core, appId, params }) => core.getPipeSettings(appId, parse(s.pipeParams, params).pipe),
  },
  {
    method: 'PUT',
    pattern: '/pipes/:pipe/settings',
    handler: async ({ core, appId, params, body }) => {
      const { pipe } = parse(s.pipeParams, params);
      await core.setPipeSettings(appId, pipe, parse(s.pipeSettingsBody, await body()));
      return core.getPipeSettings(appId, pipe);
    },
  },
  {
    method: 'DELETE',
    pattern: '/pipes/:pipe/settings',
    handler: async ({ core, appId, params }) => {
      const { pipe } = parse(s.pipeParams, params);
      await core.resetPipeSettings(appId, pipe);
      return core.getPipeSettings(appId, pipe);
    },
  },

  /* ---- users ---- */
  {
    method: 'PUT',
    pattern: '/users/:id/key',
    handler: async ({ core, appId, params, body }) => {
      const { id } = parse(s.userParams, params);
      const { key, name } = parse(s.userKeyBody, await body());
      await core.setUserKey(appId, id, key, name);
      return OK;
    },
  },
  {
    method: 'GET',
    pattern: '/users/:id/key',
    handler: async ({ core, appId, params }) => {
      const { id } = parse(s.userParams, params);
      const key = await core.getUserKey(appId, id);
      if (key === undefined) throw new HttpError(404, 'not_found', `user ${id} has no key`);
      return { user_id: id, key };
    },
  },
  {
    method: 'DELETE',
    pattern: '/users/:id/key',
    handler: async ({ core, appId, params }) => {
      await core.removeUserKey(appId, parse(s.userParams, params).id);
      return OK;
    },
  },
  {
    method: 'POST',
    pattern: '/users/:id/messages',
    handler: async ({ core, appId, params, body }) => {
      const { id } = parse(s.userParams, params);
      const { event, data } = parse(s.personalMessageBody, await body());
      return core.sendToUser(appId, id, event, data);
    },
  },
  {
    method: 'GET',
    pattern: '/users/:id/time',
    handler: async ({ core, appId, params }) => {
      const { id } = parse(s.userParams, params);
      return { user_id: id, time: await core.userTime(appId, id) };
    },
  },

  /* ---- tokens ---- */
  {
    method: 'POST',
    pattern: '/tokens',
    handler: async ({ core, appId, body }) => core.issueToken(appId, parse(s.issueTokenBody, await body())),
  },
  {
    method: 'POST',
    pattern: '/tokens/revoke',
    handler: async ({ core, appId, body }) => {
      await core.revokeToken(appId, parse(s.tokenBody, await body()).token);
      return OK;
    },
  },
  {
    method: 'POST',
    pattern: '/tokens/unrevoke',
    handler: async ({ core, appId, body }) => {
      await core.unrevokeToken(appId, parse(s.tokenBody, await body()).token);
      return OK;
    },
  },
  {
    method: 'POST',
    pattern: '/tokens/check',
    handler: async ({ core, appId, body }) => ({
      revoked: await core.isTokenRevoked(appId, parse(s.tokenBody, await body()).token),
    }),
  },

  /* ---- moderation ---- */
  {
    method: 'POST',
    pattern: '/bans',
    handler: async ({ core, appId, body }) => {
      await core.ban(appId, parse(s.banBody, await body()));
      return OK;
    },
  },
  {
    method: 'POST',
    pattern: '/bans/lift',
    handler: async ({ core, appId, body }) => {
      await core.unban(appId, parse(s.unbanBody, await body()));
      return OK;
    },
  },

  /* ---- webhook ---- */
  {
    method: 'GET',
    pattern: '/webhook',
    handler: async ({ core, appId }) => ({ url: await core.getWebhook(appId) }),
  },
  {
    method: 'PUT',
    pattern: '/webhook',
    handler: async ({ core, appId, body }) => {
      const { url } = parse(s.webhookBody, await body());
      await core.setWebhook(appId, url);
      return { url };
    },
  },
  {
    method: 'DELETE',
    pattern: '/webhook',
    handler: async ({ core, appId }) => {
      await core.setWebhook(appId, null);
      return { url: null };
    },
  },
]);

/**
 * Answers one request whose path starts with API_PREFIX. Throws HttpError / CoreError for refusals;
 * the caller turns them into JSON errors.
 */
export async function handleApi(
  core: BackendApi,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  maxBodyBytes: number,
  logins?: { failures: LoginFailures; address: () => string },
): Promise<void> {
  const rest = url.pathname.slice(API_PREFIX.length);
  const slash = rest.indexOf('/');
  const devId = decodeSegment(slash === -1 ? rest : rest.slice(0, slash));
  const found = routes.match(req.method ?? 'GET', slash === -1 ? '' : rest.slice(slash));
  if (!found || devId === '') throw new HttpError(404, 'not_found', `no route ${req.method} ${url.pathname}`);
  if ('allow' in found) {
    if (req.method === 'OPTIONS') {
      // Backends are servers, so no CORS grant: just say what the path accepts.
      res.writeHead(204, { Allow: found.allow, 'Content-Length': 0 });
      res.end();
      return;
    }
    throw new HttpError(405, 'method_not_allowed', `${req.method} is not allowed here; use ${found.allow}`, {
      Allow: found.allow,
    });
  }
  const appId = authenticateBackend(core, devId, req, logins);
  if (!core.admitBackendRequest(appId)) {
    throw new HttpError(
      429,
      'rate_limited',
      "this app's backend requests are over limits.backendRequests; retry shortly",
      {
        'Retry-After': '1',
      },
    );
  }
  const result = await found.handler({
    core,
    appId,
    params: found.params,
    query: url.searchParams,
    body: () => readJsonBody(req, maxBodyBytes),
  });
  sendJson(res, 200, result);
}
