import { arrayEntries, field } from '../validation/issue.js';
import type { IssueCollector } from '../validation/issue.js';

/** What every runtime-spec rule sees. */
export interface SpecContext {
  /** The document, possibly malformed. */
  readonly spec: unknown;
  /** Where issues go. */
  readonly out: IssueCollector;
  /** Bundle directory, when checking a bundle on disk. */
  readonly bundle?: string;
  /** Namespace types listed in `linux.namespaces` (well-formed entries only). */
  readonly namespaces: ReadonlySet<string>;
  /** True unless the document is for Windows (`windows` present, no `linux`). */
  readonly isLinux: boolean;
}

/** Builds the context for one validation run. */
export function specContext(spec: unknown, out: IssueCollector, bundle?: string): SpecContext {
  const namespaces = new Set<string>();
  for (const [, ns] of arrayEntries(field(field(spec, 'linux'), 'namespaces'))) {
    const type = field(ns, 'type');
    if (typeof type === 'string') namespaces.add(type);
  }
  const isLinux = field(spec, 'linux') !== undefined || field(spec, 'windows') === undefined;
  return { spec, out, namespaces, isLinux, ...(bundle === undefined ? {} : { bundle }) };
}

/** True for an absolute POSIX path. */
export function isAbsolutePath(path: string): boolean {
  return path.startsWith('/');
}
