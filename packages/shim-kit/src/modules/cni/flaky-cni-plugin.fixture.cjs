#!/usr/bin/env node
// A CNI plugin for protocol tests (TestNetwork copies it into its bin dir as `flaky`): logs each
// call to <test dir>/calls.jsonl, echoes prevResult, and fails where a marker file
// <test dir>/fail-<CNI_COMMAND> tells it to (once, after a hang, with stderr only, or with a CNI error).
const fs = require('node:fs');
const path = require('node:path');

const dir = path.dirname(path.dirname(process.argv[1]));
const text = fs.readFileSync(0, 'utf8');
const input = text ? JSON.parse(text) : {};
const cmd = process.env.CNI_COMMAND;
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('CNI_')));
fs.appendFileSync(path.join(dir, 'calls.jsonl'), JSON.stringify({ cmd, input, env }) + '\n');

const marker = path.join(dir, `fail-${cmd}`);
if (fs.existsSync(marker)) {
  const spec = JSON.parse(fs.readFileSync(marker, 'utf8'));
  if (spec.once) fs.rmSync(marker);
  if (spec.hangMs) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, spec.hangMs);
  if (spec.stderrOnly) {
    process.stderr.write(spec.msg + '\n');
    process.exit(2);
  }
  process.stdout.write(JSON.stringify({ cniVersion: input.cniVersion, code: spec.code, msg: spec.msg, details: spec.details }));
  process.exit(1);
}
if (cmd === 'ADD') process.stdout.write(JSON.stringify(input.prevResult ?? { cniVersion: input.cniVersion, ips: [] }));
if (cmd === 'VERSION') process.stdout.write(JSON.stringify({ cniVersion: '1.0.0', supportedVersions: ['0.4.0', '1.0.0'] }));
