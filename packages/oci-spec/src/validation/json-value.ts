import { OciSpecError } from '../errors.js';
import type { IssueCollector} from './issue.js';
import { pointer } from './issue.js';

const MAX_DEPTH = 256;

/**
 * Decodes JSON text (string or UTF-8 bytes) or copies an already-decoded value, keeping only
 * JSON-compatible data. Non-JSON values (functions, `undefined` in arrays, NaN, cycles, deeper
 * nesting than 256 levels) become `json` issues instead of exceptions.
 */
export function toJsonValue(input: unknown, out: IssueCollector): unknown {
  if (typeof input === 'string' || input instanceof Uint8Array) {
    const text = typeof input === 'string' ? input : new TextDecoder('utf-8', { fatal: false }).decode(input);
    try {
      input = JSON.parse(text) as unknown;
    } catch (e) {
      out.must('', 'json', `not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
    }
  }
  return copy(input, '', 0, new Set(), out);
}

function copy(value: unknown, path: string, depth: number, seen: Set<object>, out: IssueCollector): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return value;
    out.must(path, 'json', `${value} is not a JSON number`);
    return null;
  }
  if (typeof value !== 'object') {
    out.must(path, 'json', `a ${typeof value} is not a JSON value`);
    return null;
  }
  if (depth >= MAX_DEPTH) {
    out.must(path, 'json', `nested deeper than ${MAX_DEPTH} levels`);
    return null;
  }
  if (seen.has(value)) {
    out.must(path, 'json', 'circular reference');
    return null;
  }
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      return value.map((v, i) => copy(v, pointer(path, i), depth + 1, seen, out));
    }
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      out.must(path, 'json', `a ${value.constructor?.name ?? 'non-plain'} object is not a JSON value`);
      return null;
    }
    const result: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue;
      // defineProperty keeps a "__proto__" key as data instead of changing the prototype.
      Object.defineProperty(result, k, {
        value: copy(v, pointer(path, k), depth + 1, seen, out),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return result;
  } finally {
    seen.delete(value);
  }
}

/** Serialises a document as JSON text (2-space indent by default). */
export function serializeJson(document: unknown, options: { indent?: number | string } = {}): string {
  try {
    return JSON.stringify(document, null, options.indent ?? 2);
  } catch (e) {
    throw new OciSpecError('INVALID_ARGUMENT', 'document cannot be serialised as JSON', { cause: e });
  }
}
