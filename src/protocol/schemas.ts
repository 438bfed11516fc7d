/**
 * One validation schema per wire message. Used by the server at every boundary;
 * kept apart from index.ts so that browser bundles never pull in zod.
 */
import { z } from 'zod';
import {
  HISTORY_PAGE_MAX,
  MAX_PIPES_PER_CONNECTION,
  REACTION_MAX,
  TOKEN_MAX,
  USER_KEY_MAX,
  USER_NAME_MAX,
} from './limits.js';
import { isValidEventName, isValidMessageId, isValidPipeName, parseSubscription } from './names.js';

export const pipeName = z.string().refine(isValidPipeName, 'pipe names are 3-64 characters of [A-Za-z0-9_-]');
export const eventName = z.string().refine(isValidEventName, 'event names are 1-64 characters of [A-Za-z0-9_-]');
export const subscriptionTarget = z
  .string()
  .refine((s) => parseSubscription(s) !== null, 'expected "pipe" or "pipe.event" with valid names');
const marker = z.number().int().nonnegative();
const messageMarker = z.number().int().positive();

export const handshakeAuthSchema = z.object({
  dev_id: z.union([z.string().min(1).max(64), z.number().int().nonnegative()]),
  user_id: z.union([z.string().regex(/^\d{1,15}$/), z.number().int().nonnegative()]).optional(),
  user_key: z.string().max(USER_KEY_MAX).optional(),
  token: z.string().max(TOKEN_MAX).optional(),
  batch: z.boolean().optional(),
  auth_in_connect: z.boolean().optional(),
});

export const subscribeSchema = z.object({
  pipes: z.array(subscriptionTarget).min(1).max(MAX_PIPES_PER_CONNECTION),
});

export const messageId = z.string().refine(isValidMessageId, 'message ids are 8-64 characters of [A-Za-z0-9_-]');

export const publishSchema = z.object({
  pipe: pipeName,
  event: eventName.optional(),
  data: z.unknown(),
  id: messageId.optional(),
  reply_to: messageMarker.optional(),
});

export const editSchema = z.object({ pipe: pipeName, marker: messageMarker, data: z.unknown() });
export const deleteSchema = z.object({ pipe: pipeName, marker: messageMarker });
export const reactSchema = z.object({
  pipe: pipeName,
  marker: messageMarker,
  emoji: z.string().min(1).max(REACTION_MAX),
  on: z.boolean(),
});
export const reactorsSchema = z.object({ pipe: pipeName, marker: messageMarker });
export const readSchema = z.object({ pipe: pipeName, marker: messageMarker });
export const readersSchema = z.object({ pipe: pipeName });

export const historySchema = z.object({
  pipe: pipeName,
  limit: z.number().int().min(1).max(HISTORY_PAGE_MAX).optional(),
  before: marker.optional(),
  after: marker.optional(),
});

export const presenceSchema = z.object({ pipe: pipeName });
export const typingSchema = z.object({ pipe: pipeName, name: z.string().max(USER_NAME_MAX).optional() });

/** The schema of each client → server event, by event name. */
export const clientEventSchemas = {
  subscribe: subscribeSchema,
  unsubscribe: subscribeSchema,
  publish: publishSchema,
  history: historySchema,
  presence: presenceSchema,
  typing: typingSchema,
  edit: editSchema,
  delete: deleteSchema,
  react: reactSchema,
  reactors: reactorsSchema,
  read: readSchema,
  readers: readersSchema,
} as const;

/** Formats a zod error as one readable line: each issue's path (`root` for the value itself) and message. */
export function describeIssues(error: z.ZodError, root = 'payload'): string {
  return error.issues.map((i) => `${i.path.join('.') || root}: ${i.message}`).join('; ');
}
