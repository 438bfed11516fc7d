/**
 * One cluster node in its own process, for tests that kill a node outright.
 *   node --import tsx test/cluster/node-process.ts <redisUrl> <prefix>
 * Sends `{ url }` over IPC once listening.
 */
import { createCometServer } from '../../src/server/index.js';

const [redisUrl, redisPrefix] = process.argv.slice(2);
const node = await createCometServer({
  port: 0,
  host: '127.0.0.1',
  cometqlPort: false,
  redisUrl: redisUrl,
  redisPrefix: redisPrefix,
  logger: { info: () => undefined, error: () => undefined },
});
process.send!({ url: node.url });
