import type { IssueCollector} from './issue.js';
import { isObject, pointer, show } from './issue.js';

/**
 * A tiny structural schema: enough to check that a JSON document has the types the TypeScript
 * interfaces promise. Semantic rules live in the validators.
 */
export type Shape =
  | { kind: 'string'; pattern?: RegExp; patternText?: string; enum?: readonly string[] }
  | { kind: 'boolean' }
  | { kind: 'integer'; min?: number; max?: number }
  | { kind: 'array'; items: Shape; minItems?: number }
  | { kind: 'object'; props: Readonly<Record<string, Shape>>; required?: readonly string[] }
  | { kind: 'map'; values: Shape }
  | { kind: 'any' };

export const str = (options: { pattern?: RegExp; patternText?: string; enum?: readonly string[] } = {}): Shape => ({
  kind: 'string',
  ...options,
});
export const bool: Shape = { kind: 'boolean' };
export const int = (min?: number, max?: number): Shape => ({
  kind: 'integer',
  ...(min === undefined ? {} : { min }),
  ...(max === undefined ? {} : { max }),
});
export const arr = (items: Shape, minItems?: number): Shape => ({
  kind: 'array',
  items,
  ...(minItems === undefined ? {} : { minItems }),
});
export const obj = (props: Record<string, Shape>, required: readonly string[] = []): Shape => ({
  kind: 'object',
  props,
  required,
});
export const map = (values: Shape): Shape => ({ kind: 'map', values });
export const any: Shape = { kind: 'any' };

/** Integer ranges of the Go types the specifications use. */
export const UINT16 = int(0, 0xffff);
export const UINT32 = int(0, 0xffffffff);
export const INT32 = int(-0x80000000, 0x7fffffff);
export const UINT64 = int(0, 2 ** 64);
export const INT64 = int(-(2 ** 63), 2 ** 63);
export const STRINGS = arr(str());
export const STRING_MAP = map(str());

/** Checks `value` against `shape`, recording `type`, `required`, `enum`, `pattern` and `range` issues. */
export function checkShape(value: unknown, shape: Shape, path: string, out: IssueCollector): void {
  switch (shape.kind) {
    case 'any':
      return;
    case 'string':
      if (typeof value !== 'string') return out.must(path, 'type', `must be a string, got ${typeName(value)}`);
      if (shape.enum !== undefined && !shape.enum.includes(value)) {
        return out.must(path, 'enum', `must be one of ${shape.enum.join(', ')}, got ${show(value)}`);
      }
      if (shape.pattern !== undefined && !shape.pattern.test(value)) {
        return out.must(path, 'pattern', `must match ${shape.patternText ?? String(shape.pattern)}, got ${show(value)}`);
      }
      return;
    case 'boolean':
      if (typeof value !== 'boolean') out.must(path, 'type', `must be a boolean, got ${typeName(value)}`);
      return;
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) {
        return out.must(path, 'type', `must be an integer, got ${typeName(value)}`);
      }
      if ((shape.min !== undefined && value < shape.min) || (shape.max !== undefined && value > shape.max)) {
        out.must(path, 'range', `must be between ${shape.min ?? '-inf'} and ${shape.max ?? 'inf'}, got ${value}`);
      }
      return;
    case 'array':
      if (!Array.isArray(value)) return out.must(path, 'type', `must be an array, got ${typeName(value)}`);
      if (shape.minItems !== undefined && value.length < shape.minItems) {
        out.must(path, 'min-items', `must have at least ${shape.minItems} item${shape.minItems === 1 ? '' : 's'}`);
      }
      value.forEach((item, i) => checkShape(item, shape.items, pointer(path, i), out));
      return;
    case 'map':
      if (!isObject(value)) return out.must(path, 'type', `must be an object, got ${typeName(value)}`);
      for (const [k, v] of Object.entries(value)) checkShape(v, shape.values, pointer(path, k), out);
      return;
    case 'object':
      if (!isObject(value)) return out.must(path, 'type', `must be an object, got ${typeName(value)}`);
      for (const key of shape.required ?? []) {
        if (!Object.prototype.hasOwnProperty.call(value, key)) out.must(pointer(path, key), 'required', `${key} is required`);
      }
      for (const [key, sub] of Object.entries(shape.props)) {
        if (Object.prototype.hasOwnProperty.call(value, key) && value[key] !== undefined) {
          checkShape(value[key], sub, pointer(path, key), out);
        }
      }
      return;
  }
}

/** A short name of a JSON value's type, for messages. */
export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && !Number.isInteger(value)) return Number.isFinite(value) ? 'number' : String(value);
  return typeof value;
}
