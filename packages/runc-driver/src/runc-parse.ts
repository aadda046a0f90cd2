import { RuncError } from './runc-error.js';
import type { ContainerState, ContainerStatus, RuntimeEvent, RuntimeVersion } from './runc-types.js';

const STATUSES: readonly ContainerStatus[] = ['creating', 'created', 'running', 'paused', 'stopped'];

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new RuncError('PARSE_ERROR', `${what}: runtime printed invalid JSON: ${text.slice(0, 200)}`, { cause: err });
  }
}

function toState(value: unknown, what: string): ContainerState {
  if (typeof value !== 'object' || value === null) throw new RuncError('PARSE_ERROR', `${what}: expected an object`);
  const v = value as Record<string, unknown>;
  const status = v['status'];
  if (typeof v['id'] !== 'string' || typeof status !== 'string' || !STATUSES.includes(status as ContainerStatus)) {
    throw new RuncError('PARSE_ERROR', `${what}: missing id or unknown status in ${JSON.stringify(value).slice(0, 200)}`);
  }
  const state: ContainerState = {
    id: v['id'],
    pid: typeof v['pid'] === 'number' ? v['pid'] : 0,
    status: status as ContainerStatus,
    bundle: typeof v['bundle'] === 'string' ? v['bundle'] : '',
    created: new Date(typeof v['created'] === 'string' ? v['created'] : 0),
  };
  if (typeof v['rootfs'] === 'string') state.rootfs = v['rootfs'];
  if (typeof v['ociVersion'] === 'string') state.ociVersion = v['ociVersion'];
  if (typeof v['owner'] === 'string') state.owner = v['owner'];
  if (typeof v['annotations'] === 'object' && v['annotations'] !== null) state.annotations = v['annotations'] as Record<string, string>;
  return state;
}

/** Parses `runc state` output. */
export function parseState(text: string): ContainerState {
  return toState(parseJson(text, 'state'), 'state');
}

/** Parses `runc list --format json` output (runc prints `null` for none). */
export function parseList(text: string): ContainerState[] {
  const value = parseJson(text.trim() === '' ? 'null' : text, 'list');
  if (value === null) return [];
  if (!Array.isArray(value)) throw new RuncError('PARSE_ERROR', 'list: expected an array');
  return value.map((v) => toState(v, 'list'));
}

/** Parses `runc ps --format json` output: host pids. */
export function parsePs(text: string): number[] {
  const value = parseJson(text.trim() === '' ? 'null' : text, 'ps');
  if (value === null) return [];
  if (!Array.isArray(value) || !value.every((p) => typeof p === 'number')) throw new RuncError('PARSE_ERROR', 'ps: expected an array of pids');
  return value as number[];
}

/** Parses one line of `runc events` output. */
export function parseEvent(line: string): RuntimeEvent {
  const value = parseJson(line, 'events');
  if (typeof value !== 'object' || value === null || typeof (value as { type?: unknown }).type !== 'string') {
    throw new RuncError('PARSE_ERROR', `events: not an event: ${line.slice(0, 200)}`);
  }
  return value as RuntimeEvent;
}

/** Parses `runc --version` / `crun --version`. */
export function parseVersion(text: string): RuntimeVersion {
  const lines = text.split('\n').map((l) => l.trim());
  const first = /^(\S+) version (\S+)/.exec(lines[0] ?? '');
  if (!first?.[1] || !first[2]) throw new RuncError('PARSE_ERROR', `version: unexpected output: ${text.slice(0, 200)}`);
  const result: RuntimeVersion = { name: first[1], version: first[2], raw: text };
  for (const line of lines.slice(1)) {
    const m = /^(commit|spec):\s*(\S+)/.exec(line);
    if (m?.[1] === 'commit' && m[2]) result.commit = m[2];
    if (m?.[1] === 'spec' && m[2]) result.spec = m[2];
  }
  return result;
}
