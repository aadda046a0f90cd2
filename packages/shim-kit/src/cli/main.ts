#!/usr/bin/env node
// The `shimkit` command: see USAGE in cli-args.ts.
import { markPhase, reportPhasesAtExit } from '../engine/phase-marks.js';
import { runCli } from './run-cli.js';

markPhase('cli modules loaded');
reportPhasesAtExit();

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`shimkit: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
