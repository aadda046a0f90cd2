import { posix } from 'node:path';
import type { ImageExecConfig } from '@shimkit/oci-spec';
import { ImageStoreError } from '../errors.js';
import { stepKey } from './build-cache.js';
import type { Instruction } from './containerfile.js';
import { expandWords } from './shell-words.js';
import type { StageState } from './stage-state.js';
import { stageVars } from './stage-state.js';

/** The instructions that change only the config (and the ARGs in scope): no layer. */
export type ConfigInstruction = Exclude<Instruction, { kind: 'RUN' | 'COPY' | 'ADD' }>;

export interface ConfigContext {
  /** `--build-arg` values. */
  buildArgs?: Readonly<Record<string, string>>;
  /** Values of the ARGs before the first FROM (a stage's `ARG NAME` without a default takes them). */
  globals: ReadonlyMap<string, string>;
}

/** Go's duration syntax (`30s`, `1m30s`, `500ms`) in nanoseconds, as HEALTHCHECK takes it. */
export function parseDuration(text: string, what: string): number {
  const units: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let m: RegExpExecArray | null;
  let at = 0;
  while ((m = re.exec(text)) !== null) {
    total += Number(m[1]) * units[m[2]!]!;
    at = re.lastIndex;
  }
  if (at !== text.length || text === '') throw new ImageStoreError('BUILD_SYNTAX', `${what}: ${JSON.stringify(text)} is not a duration like 30s or 1m30s`);
  return Math.round(total);
}

/**
 * Folds a config change into the state's key (`describe`: the change as expanded) and its
 * pending history (the instruction as written, in buildah's `#(nop)` form).
 */
function note(state: StageState, ins: ConfigInstruction, describe: string): void {
  state.key = stepKey(state.key, describe);
  state.pending.push({ created_by: `/bin/sh -c #(nop) ${ins.text}`, empty_layer: true });
}

/**
 * Applies ENV, LABEL, ARG, WORKDIR, USER, STOPSIGNAL, MAINTAINER, EXPOSE, VOLUME, CMD,
 * ENTRYPOINT, SHELL, HEALTHCHECK or ONBUILD to a stage's state, expanding its words with the
 * ARGs and ENV in scope. BUILD_SYNTAX names the line of a bad value.
 */
export function applyConfigInstruction(state: StageState, ins: ConfigInstruction, context: ConfigContext): void {
  const vars = stageVars(state);
  const expand = (raw: string): string => expandWords(raw, vars);
  const words = (raw: string[] | string): string[] => (Array.isArray(raw) ? raw.map(expand) : expandWords(raw, vars, { split: true }));
  const fail = (why: string): never => {
    throw new ImageStoreError('BUILD_SYNTAX', `line ${ins.line}: ${ins.kind}: ${why}`);
  };
  const cfg = state.config;
  switch (ins.kind) {
    case 'ENV': {
      const values = ins.pairs.map((p) => [p.name, expand(p.raw)] as const);
      const env = new Map((cfg.Env ?? []).map((e) => [e.split('=')[0]!, e] as const));
      // a variable set again moves to the end, as buildah writes it (PATH extended by an ENV follows the ones before)
      for (const [k, v] of values) {
        env.delete(k);
        env.set(k, `${k}=${v}`);
      }
      cfg.Env = [...env.values()];
      return note(state, ins, `ENV ${values.map(([k, v]) => `${k}=${v}`).join(' ')}`);
    }
    case 'LABEL': {
      const values = ins.pairs.map((p) => [p.name, expand(p.raw)] as const);
      cfg.Labels = { ...cfg.Labels, ...Object.fromEntries(values) };
      return note(state, ins, `LABEL ${values.map(([k, v]) => `${k}=${v}`).join(' ')}`);
    }
    case 'ARG':
      for (const p of ins.pairs) {
        const value = context.buildArgs?.[p.name] ?? (p.hasDefault ? expand(p.raw) : context.globals.get(p.name));
        if (value === undefined) state.args.delete(p.name);
        else state.args.set(p.name, value);
        state.key = stepKey(state.key, `ARG ${p.name}=${value ?? ''}`);
      }
      return;
    case 'WORKDIR':
      cfg.WorkingDir = posix.resolve(cfg.WorkingDir || '/', expand(ins.raw));
      state.workdirToMake = cfg.WorkingDir;
      return note(state, ins, `WORKDIR ${cfg.WorkingDir}`);
    case 'USER':
      cfg.User = expand(ins.raw);
      return note(state, ins, `USER ${cfg.User}`);
    case 'STOPSIGNAL':
      cfg.StopSignal = expand(ins.raw);
      return note(state, ins, `STOPSIGNAL ${cfg.StopSignal}`);
    case 'MAINTAINER':
      return note(state, ins, `MAINTAINER ${expand(ins.raw)}`);
    case 'EXPOSE': {
      const ports = words(ins.raw).map((p) => (p.includes('/') ? p.toLowerCase() : `${p}/tcp`));
      for (const p of ports) if (!/^\d+(-\d+)?\/(tcp|udp|sctp)$/.test(p)) fail(`invalid port ${JSON.stringify(p)}`);
      cfg.ExposedPorts = { ...cfg.ExposedPorts, ...Object.fromEntries(ports.map((p) => [p, {}])) };
      return note(state, ins, `EXPOSE ${ports.join(' ')}`);
    }
    case 'VOLUME': {
      const paths = words(ins.args);
      if (paths.length === 0 || paths.some((p) => p === '')) fail('needs a path');
      cfg.Volumes = { ...cfg.Volumes, ...Object.fromEntries(paths.map((p) => [p, {}])) };
      return note(state, ins, `VOLUME ${JSON.stringify(paths)}`);
    }
    case 'CMD':
    case 'ENTRYPOINT': {
      const argv = 'exec' in ins.command ? ins.command.exec : [...state.shell, ins.command.shell];
      if (ins.kind === 'CMD') {
        cfg.Cmd = argv;
        state.cmdSet = true;
      } else {
        cfg.Entrypoint = argv;
        // An ENTRYPOINT drops the base image's CMD (not one this stage set).
        if (!state.cmdSet) delete cfg.Cmd;
      }
      return note(state, ins, `${ins.kind} ${JSON.stringify(argv)}`);
    }
    case 'SHELL':
      state.shell = ins.argv;
      cfg.Shell = ins.argv;
      return note(state, ins, `SHELL ${JSON.stringify(ins.argv)}`);
    case 'HEALTHCHECK': {
      const check: NonNullable<ImageExecConfig['Healthcheck']> = { Test: ins.test };
      const f = ins.flags;
      if (f['interval'] !== undefined) check.Interval = parseDuration(f['interval'], `line ${ins.line}: --interval`);
      if (f['timeout'] !== undefined) check.Timeout = parseDuration(f['timeout'], `line ${ins.line}: --timeout`);
      if (f['start-period'] !== undefined) check.StartPeriod = parseDuration(f['start-period'], `line ${ins.line}: --start-period`);
      if (f['retries'] !== undefined) {
        if (!/^\d+$/.test(f['retries'])) fail(`--retries ${JSON.stringify(f['retries'])} is not a number`);
        check.Retries = Number(f['retries']);
      }
      cfg.Healthcheck = check;
      return note(state, ins, `HEALTHCHECK ${JSON.stringify(check)}`);
    }
    case 'ONBUILD':
      cfg.OnBuild = [...(cfg.OnBuild ?? []), ins.trigger];
      return note(state, ins, `ONBUILD ${ins.trigger}`);
  }
}
