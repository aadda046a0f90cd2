import { OciSpecError } from '../errors.js';
import type { OciSpecErrorCode } from '../errors.js';

/** How binding a broken rule is, in RFC 2119 terms. */
export type IssueLevel = 'MUST' | 'SHOULD';

/** One problem found in a document. */
export interface ValidationIssue {
  /** JSON pointer (RFC 6901) to the offending value; `''` is the whole document. */
  path: string;
  /** What is wrong, for people. */
  message: string;
  /** `MUST` breaks the specification; `SHOULD` is a recommendation not followed. */
  level: IssueLevel;
  /** Stable machine-readable rule name, e.g. `type`, `required`, `absolute-path`. */
  rule: string;
}

/** Thrown by the `parse*` functions: one error carrying every issue found. */
export class OciValidationError extends OciSpecError {
  /** Every issue: structural ones first, then rule violations. */
  readonly issues: readonly ValidationIssue[];

  constructor(code: OciSpecErrorCode, what: string, issues: readonly ValidationIssue[]) {
    super(code, formatIssues(what, issues));
    this.name = 'OciSpecError';
    this.issues = issues;
  }
}

/** Formats issues as one message: a summary line, then one line per issue. */
export function formatIssues(what: string, issues: readonly ValidationIssue[]): string {
  const shown = issues.slice(0, 50);
  const lines = shown.map((i) => `  ${i.path === '' ? '/' : i.path}: ${i.message} [${i.level} ${i.rule}]`);
  if (issues.length > shown.length) lines.push(`  ... and ${issues.length - shown.length} more`);
  return `invalid ${what}: ${issues.length} issue${issues.length === 1 ? '' : 's'}\n${lines.join('\n')}`;
}

/** Escapes one JSON pointer reference token. */
export function escapePointerToken(token: string | number): string {
  return String(token).replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Joins a JSON pointer and further tokens. */
export function pointer(base: string, ...tokens: (string | number)[]): string {
  return base + tokens.map((t) => `/${escapePointerToken(t)}`).join('');
}

/** Collects issues for one document. */
export class IssueCollector {
  readonly issues: ValidationIssue[] = [];

  /** Records a MUST issue. */
  must(path: string, rule: string, message: string): void {
    this.issues.push({ path, message, level: 'MUST', rule });
  }

  /** Records a SHOULD issue. */
  should(path: string, rule: string, message: string): void {
    this.issues.push({ path, message, level: 'SHOULD', rule });
  }
}

/** True when `value` is a plain JSON object (not null, not an array). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads `obj[key]` when `obj` is an object, without touching prototypes. */
export function field(obj: unknown, key: string): unknown {
  return isObject(obj) && Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
}

/** Returns `value` when it is an array of strings, else `undefined`. */
export function stringArray(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : undefined;
}

/** Entries of `value` when it is an array, else an empty array. */
export function arrayEntries(value: unknown): [number, unknown][] {
  return Array.isArray(value) ? value.map((v, i) => [i, v] as [number, unknown]) : [];
}

/** Shows a value briefly in a message. */
export function show(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
