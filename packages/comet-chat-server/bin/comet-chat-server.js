#!/usr/bin/env node
// The server command. Its code is compiled from src/server/cli.ts and copied here by `npm run build`.
import { runCli } from '../lib/server/cli.js';

const status = await runCli(process.argv.slice(2));
if (status !== undefined) process.exit(status);
