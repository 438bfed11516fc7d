/**
 * One schema per /api/v1 request body, query string and path parameter set.
 * Names and limits come from src/protocol so HTTP accepts exactly what the socket front does.
 */
import { z } from 'zod';
import { HISTORY_LENGTH_MAX, HISTORY_PAGE_MAX, TOKEN_MAX, USER_NAME_MAX } from '../../../protocol/limits.js';
import { isValidUserKey } from '../../../protocol/names.js';
import { eventName, pipeName } from '../../../protocol/schemas.js';
import { webhookUrlSchema } from '../../core/webhook-target.js';

/** Largest user id: ids travel as JSON numbers, so they must stay exact integers. */
const USER_ID_MAX = Number.MAX_SAFE_INTEGER;
/** Longest lifetime of a user token the API issues: one year. */
const TOKEN_TTL_MAX = 365 * 24 * 3600;

const userId = z.number().int().min(1).max(USER_ID_MAX);
const userName = z.string().min(1).max(USER_NAME_MAX);
/** A decimal integer in a path segment or query string. */
const decimal = z
  .string()
  .regex(/^\d{1,16}$/, 'expected a decimal integer')
  .transform(Number)
  .pipe(z.number().int().max(USER_ID_MAX));
const token = z.string().min(1).max(TOKEN_MAX);

export const pipeParams = z.object({ pipe: pipeName });
export const markerParams = z.object({ pipe: pipeName, marker: decimal.pipe(z.number().min(1)) });
export const userParams = z.object({ id: decimal.pipe(userId) });

/** Bodies are strict: an unknown (e.g. misspelt) field is a 400, not silently ignored. */
export const publishBody = z
  .strictObject({
    event: eventName.optional(),
    data: z.unknown(),
  })
  .refine((b) => b.data !== undefined, { message: 'data is required (null is fine)', path: ['data'] });

/** A backend's edit of a message: its new data. */
export const editBody = z
  .strictObject({ data: z.unknown() })
  .refine((b) => b.data !== undefined, { message: 'data is required (null is fine)', path: ['data'] });

export const historyQuery = z.object({
  limit: decimal.pipe(z.number().min(1).max(HISTORY_PAGE_MAX)).optional(),
  before: decimal.optional(),
  after: decimal.optional(),
});

export const pipeSettingsBody = z.strictObject({
  length: z.number().int().min(0).max(HISTORY_LENGTH_MAX),
});

export const userKeyBody = z.strictObject({
  key: z.string().refine(isValidUserKey, 'user keys are 1-32 characters of [0-9A-Za-z=+/_]'),
  name: userName.optional(),
});

export const personalMessageBody = publishBody;

export const issueTokenBody = z.strictObject({
  user_id: userId,
  name: userName.optional(),
  ttl_seconds: z.number().int().min(1).max(TOKEN_TTL_MAX).optional(),
});

export const tokenBody = z.strictObject({ token });

export const banBody = z
  .strictObject({
    user_id: userId.optional(),
    conn_id: z.string().min(1).max(64).optional(),
    pipe: pipeName.optional(),
    seconds: z.number().int().min(1).max(TOKEN_TTL_MAX).optional(),
  })
  .refine((b) => (b.user_id === undefined) !== (b.conn_id === undefined), 'give exactly one of user_id and conn_id');

export const unbanBody = banBody;

export const webhookBody = z.strictObject({ url: webhookUrlSchema });
