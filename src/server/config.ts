/**
 * The server's JSON config file (docs/configuration.md): one schema, read once at start.
 * Options given in code or on the command line win over the file.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { HISTORY_LENGTH_MAX, REACTION_MAX, REACTION_SET_MAX } from '../protocol/limits.js';
import { describeIssues } from '../protocol/schemas.js';
import { APP_ID_PATTERN } from './core/apps.js';
import { webhookUrlSchema } from './core/webhook-target.js';
import { limitsOverrideSchema, quotaSchema } from './core/limits.js';

export const appConfigSchema = z.strictObject({
  id: z.string().regex(APP_ID_PATTERN, 'app ids are 1-64 characters of [A-Za-z0-9_-]'),
  secret: z.string().min(16, 'secrets are at least 16 characters').max(256).optional(),
  origins: z.union([z.literal('*'), z.array(z.string().url())]).optional(),
  webhook: webhookUrlSchema.optional(),
  receipts: z.boolean().optional(),
  allowPrivateWebhooks: z.boolean().optional(),
  /** The app's own storage quota, over the server's (`limits.quota`). */
  quota: quotaSchema.partial().optional(),
  /** How long authors may edit or delete their messages, in seconds (0: never); default 15 minutes. */
  editWindowSeconds: z
    .number()
    .int()
    .min(0)
    .max(365 * 24 * 3600)
    .optional(),
  /** What an author's delete leaves: `tombstone` (default) or nothing (`vanish`). */
  deleteMode: z.enum(['tombstone', 'vanish']).optional(),
  /** The emojis offered as reactions; default 👍 ❤️ 😂 😮 😢 🙏. */
  reactions: z
    .array(z.string().min(1).max(REACTION_MAX))
    .min(1)
    .max(REACTION_SET_MAX)
    .refine((set) => new Set(set).size === set.length, 'each reaction once')
    .optional(),
});

export const configFileSchema = z.strictObject({
  port: z.number().int().min(0).max(65535).optional(),
  host: z.string().min(1).optional(),
  dataDir: z.string().min(1).optional(),
  memory: z.boolean().optional(),
  redisUrl: z.string().min(1).optional(),
  cometqlPort: z.union([z.number().int().min(0).max(65535), z.literal(false)]).optional(),
  webHistoryLength: z.number().int().min(0).max(HISTORY_LENGTH_MAX).optional(),
  maxMessageBytes: z
    .number()
    .int()
    .min(1)
    .max(16 * 1024 * 1024)
    .optional(),
  limits: limitsOverrideSchema.optional(),
  trustedProxies: z.array(z.union([z.ipv4(), z.ipv6()])).optional(),
  metricsFrom: z.array(z.union([z.ipv4(), z.ipv6()])).optional(),
  demo: z.boolean().optional(),
  apps: z.array(appConfigSchema).optional(),
});

export type AppConfig = z.infer<typeof appConfigSchema>;
export type ConfigFile = z.infer<typeof configFileSchema>;

/** Reads and checks a config file; a relative dataDir is taken relative to the file. Throws a readable Error. */
export function readConfigFile(path: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`cannot read config file ${path}: ${jsonErrorWithoutText(err as Error, text)}`);
  }
  const parsed = configFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = describeIssues(parsed.error, '(root)');
    throw new Error(`bad config file ${path}: ${issues}`);
  }
  const config = parsed.data;
  if (config.dataDir !== undefined) config.dataDir = resolve(dirname(path), config.dataDir);
  const ids = new Set<string>();
  for (const app of config.apps ?? []) {
    if (ids.has(app.id)) throw new Error(`bad config file ${path}: app ${app.id} is listed twice`);
    ids.add(app.id);
  }
  return config;
}

/**
 * JSON.parse's complaint without the piece of text it may quote (`Unexpected token 's', ..."secret":s3cr"...`):
 * the file holds secrets, and start-up errors end up in logs. Where the position is known, it is given.
 */
function jsonErrorWithoutText(err: Error, text: string): string {
  const at = /^(.*?) in JSON at position (\d+)/.exec(err.message);
  if (at) {
    const before = text.slice(0, Number(at[2])).split('\n');
    return `not valid JSON: ${at[1]} at line ${before.length}, column ${before.at(-1)!.length + 1}`;
  }
  if (/^Unexpected end of JSON input/.test(err.message)) return 'not valid JSON: it ends too early';
  return 'not valid JSON (the text is not shown, it may hold secrets)';
}
