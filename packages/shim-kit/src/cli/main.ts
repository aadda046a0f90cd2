#!/usr/bin/env node
// The `shimkit` command: see USAGE in cli-args.ts. bin/shimkit starts it from the CLI's startup
// snapshot when there is one for this node (snapshot-main.ts).
import { runCliProcess } from './cli-process.js';

runCliProcess();
