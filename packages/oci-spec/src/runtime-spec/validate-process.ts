import { arrayEntries, field, isObject, pointer, show, stringArray } from '../validation/issue.js';
import { isKnownCapability, LINUX_RLIMITS } from './capabilities.js';
import { isAbsolutePath } from './validation-context.js';
import type { SpecContext } from './validation-context.js';

/** Rules for `process`: cwd, args, env, user, capabilities, rlimits. */
export function validateProcess(ctx: SpecContext): void {
  const process = field(ctx.spec, 'process');
  if (!isObject(process)) return;
  const { out } = ctx;

  const cwd = field(process, 'cwd');
  if (typeof cwd === 'string' && !isAbsolutePath(cwd)) {
    out.must('/process/cwd', 'absolute-path', `must be an absolute path, got ${show(cwd)}`);
  }

  const args = field(process, 'args');
  if (ctx.isLinux && (args === undefined || (Array.isArray(args) && args.length === 0))) {
    out.must('/process/args', 'non-empty-args', 'must have at least one entry (the program to run)');
  }

  for (const [i, entry] of arrayEntries(field(process, 'env'))) {
    if (typeof entry === 'string' && entry.indexOf('=') <= 0) {
      out.must(pointer('/process/env', i), 'env-format', `must be KEY=value, got ${show(entry)}`);
    }
  }

  const user = field(process, 'user');
  if (ctx.isLinux && isObject(user)) {
    for (const key of ['uid', 'gid']) {
      if (!(key in user)) out.must(pointer('/process/user', key), 'required', `${key} is required on Linux`);
    }
  }

  validateCapabilities(ctx, field(process, 'capabilities'));
  validateRlimits(ctx, field(process, 'rlimits'));
}

const CAPABILITY_SETS = ['bounding', 'effective', 'inheritable', 'permitted', 'ambient'] as const;

function validateCapabilities(ctx: SpecContext, caps: unknown): void {
  if (!isObject(caps)) return;
  const sets: Partial<Record<(typeof CAPABILITY_SETS)[number], string[]>> = {};
  for (const set of CAPABILITY_SETS) {
    const names = stringArray(caps[set]);
    if (names === undefined) continue;
    sets[set] = names;
    const seen = new Set<string>();
    names.forEach((name, i) => {
      const path = pointer('/process/capabilities', set, i);
      if (!isKnownCapability(name)) ctx.out.must(path, 'capability-name', `unknown capability ${show(name)}`);
      else if (seen.has(name)) ctx.out.should(path, 'duplicate-capability', `${name} is listed twice`);
      seen.add(name);
    });
  }
  const permitted = new Set(sets.permitted ?? []);
  const inheritable = new Set(sets.inheritable ?? []);
  (sets.effective ?? []).forEach((name, i) => {
    if (isKnownCapability(name) && !permitted.has(name)) {
      ctx.out.must(pointer('/process/capabilities/effective', i), 'effective-within-permitted', `${name} is effective but not permitted`);
    }
  });
  (sets.ambient ?? []).forEach((name, i) => {
    if (!isKnownCapability(name)) return;
    const path = pointer('/process/capabilities/ambient', i);
    if (!permitted.has(name)) {
      ctx.out.must(path, 'ambient-within-permitted', `${name} is ambient but not permitted`);
    }
    if (!inheritable.has(name)) {
      ctx.out.should(path, 'ambient-within-inheritable', `${name} is ambient but not inheritable, so the kernel will not raise it`);
    }
  });
}

function validateRlimits(ctx: SpecContext, rlimits: unknown): void {
  const seen = new Set<string>();
  for (const [i, rlimit] of arrayEntries(rlimits)) {
    const type = field(rlimit, 'type');
    if (typeof type !== 'string') continue;
    const path = pointer('/process/rlimits', i);
    if (ctx.isLinux && !LINUX_RLIMITS.includes(type)) {
      ctx.out.must(pointer(path, 'type'), 'rlimit-type', `unknown rlimit ${show(type)}`);
    }
    if (seen.has(type)) ctx.out.must(pointer(path, 'type'), 'duplicate-rlimit', `${type} is set more than once`);
    seen.add(type);
    const soft = field(rlimit, 'soft');
    const hard = field(rlimit, 'hard');
    if (typeof soft === 'number' && typeof hard === 'number' && soft > hard) {
      ctx.out.must(pointer(path, 'soft'), 'rlimit-soft-le-hard', `soft limit ${soft} is above hard limit ${hard}`);
    }
  }
}
