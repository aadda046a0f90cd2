import { arrayEntries, field, isObject } from '../validation/issue.js';
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
  /** False when `linux` or `linux.namespaces` is malformed: namespace-dependent rules then stay quiet. */
  readonly namespacesKnown: boolean;
}

/** Builds the context for one validation run. */
export function specContext(spec: unknown, out: IssueCollector, bundle?: string): SpecContext {
  const namespaces = new Set<string>();
  for (const [, ns] of arrayEntries(field(field(spec, 'linux'), 'namespaces'))) {
    const type = field(ns, 'type');
    if (typeof type === 'string') namespaces.add(type);
  }
  const linux = field(spec, 'linux');
  const isLinux = linux !== undefined || field(spec, 'windows') === undefined;
  const list = field(linux, 'namespaces');
  const namespacesKnown =
    linux === undefined ||
    (isObject(linux) && (list === undefined || (Array.isArray(list) && list.every((n) => typeof field(n, 'type') === 'string'))));
  return { spec, out, namespaces, isLinux, namespacesKnown, ...(bundle === undefined ? {} : { bundle }) };
}

/** True for an absolute POSIX path. */
export function isAbsolutePath(path: string): boolean {
  return path.startsWith('/');
}
