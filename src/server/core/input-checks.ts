/**
 * The core's input checks for values that reach it past the fronts' schemas (embedders call the
 * BackendApi directly): each throws a CoreError naming the rule.
 */
import { MAX_DATA_DEPTH, TOKEN_MAX, USER_NAME_MAX } from '../../protocol/limits.js';
import { isValidEventName, isValidPipeName } from '../../protocol/names.js';
import type { BanTarget } from '../store/types.js';
import type { BanSpec } from './api.js';
import { CoreError } from './errors.js';
import { refusedHost, webhookUrlProblem } from './webhook-target.js';

export function checkPipe(pipe: string): void {
  if (!isValidPipeName(pipe)) throw new CoreError('invalid_pipe', 'pipe names are 3-64 characters of [A-Za-z0-9_-]');
}

export function checkEvent(event: string): void {
  if (!isValidEventName(event)) throw new CoreError('invalid_pipe', 'event names are 1-64 characters of [A-Za-z0-9_-]');
}

export function checkUserId(userId: number): void {
  if (!Number.isSafeInteger(userId) || userId <= 0) throw new CoreError('invalid', 'user ids are positive integers');
}

export function checkName(name: string): void {
  if (typeof name !== 'string' || name.length > USER_NAME_MAX) {
    throw new CoreError('invalid', `names are at most ${USER_NAME_MAX} characters`);
  }
}

export function checkToken(token: string): void {
  if (typeof token !== 'string' || token.length === 0 || token.length > TOKEN_MAX)
    throw new CoreError('invalid', 'bad token');
}

/** The webhook URL rule, and its host unless the app may call private addresses. */
export function checkWebhookUrl(url: string, allowPrivate: boolean): void {
  const problem = webhookUrlProblem(url);
  if (problem !== undefined) throw new CoreError('invalid', problem);
  const refused = allowPrivate ? undefined : refusedHost(url);
  if (refused !== undefined) {
    throw new CoreError(
      'invalid',
      `the webhook may not target ${refused} (allowPrivateWebhooks in the server config allows an app this)`,
    );
  }
}

export function banTarget(spec: BanSpec): BanTarget {
  if (spec.pipe !== undefined) checkPipe(spec.pipe);
  const pipe = spec.pipe === undefined ? {} : { pipe: spec.pipe };
  if (spec.user_id !== undefined && spec.conn_id === undefined) {
    checkUserId(spec.user_id);
    return { user_id: spec.user_id, ...pipe };
  }
  if (spec.conn_id !== undefined && spec.user_id === undefined) {
    if (typeof spec.conn_id !== 'string' || spec.conn_id.length === 0 || spec.conn_id.length > 64) {
      throw new CoreError('invalid', 'bad connection id');
    }
    return { conn_id: spec.conn_id, ...pipe };
  }
  throw new CoreError('invalid', 'a ban names either user_id or conn_id');
}

/**
 * A message's `data`, before anything is stored or sent: `invalid` when too deep or not JSON,
 * `too_large` when its JSON is over maxBytes. Depth is measured without recursion first: JSON
 * encoders (ours and Socket.IO's) recurse, so data nested a few thousand levels deep would
 * otherwise be stored and then throw on every later send of it.
 */
export function checkData(data: unknown, maxBytes: number): void {
  if (nestingDepth(data, MAX_DATA_DEPTH) > MAX_DATA_DEPTH) {
    throw new CoreError('invalid', `data nests deeper than ${MAX_DATA_DEPTH} levels`);
  }
  let text: string | undefined;
  try {
    text = JSON.stringify(data ?? null);
  } catch {
    throw new CoreError('invalid', 'data is not JSON');
  }
  const size = Buffer.byteLength(text ?? 'null');
  if (size > maxBytes) throw new CoreError('too_large', `data is ${size} bytes; the limit is ${maxBytes}`);
}

/** Depth of nested objects/arrays (a scalar is 0), counting no further than `limit + 1`, so cycles end too. */
function nestingDepth(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    const here = depth + 1;
    if (here > limit) return here;
    if (here > deepest) deepest = here;
    for (const child of Object.values(v)) if (typeof child === 'object' && child !== null) stack.push([child, here]);
  }
  return deepest;
}
