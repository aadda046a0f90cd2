import { OciSpecError } from '../errors.js';
import { digestProblem } from './digest.js';
import type { Digest } from './digest.js';

/** The registry host that names without a host resolve to. */
export const DEFAULT_REGISTRY = 'docker.io';
/** The repository prefix that single-component Docker Hub names get. */
export const OFFICIAL_REPOSITORY_PREFIX = 'library/';
/** The tag a name without tag or digest gets. */
export const DEFAULT_TAG = 'latest';
/** Longest allowed `domain/path`, as in docker's reference package. */
export const MAX_NAME_LENGTH = 255;

/** A parsed, normalised image reference such as `docker.io/library/busybox:latest`. */
export interface ImageReference {
  /** Registry host with optional port: `docker.io`, `localhost:5000`, `[::1]:5000`. */
  readonly domain: string;
  /** Repository path inside the registry: `library/busybox`. */
  readonly path: string;
  /** Tag, if any; a reference with neither tag nor digest gets `latest`. */
  readonly tag?: string;
  /** Digest, if any. */
  readonly digest?: Digest;
}

/** Options for {@link parseImageReference}. */
export interface ParseImageReferenceOptions {
  /** Add the `latest` tag when the reference has neither tag nor digest (default `true`). */
  defaultTag?: boolean;
}

const ALNUM = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const PATH_COMPONENT = new RegExp(`^${ALNUM}(?:${SEPARATOR}${ALNUM})*$`);
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const IPV6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const DOMAIN = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|${IPV6})(?::[0-9]+)?$`);
const TAG = /^[\w][\w.-]{0,127}$/;
const HEX64 = /^[a-f0-9]{64}$/;

/**
 * Parses an image reference and normalises it the way docker does:
 * `busybox` -> `docker.io/library/busybox:latest`, `index.docker.io/x/y` -> `docker.io/x/y:latest`,
 * `localhost:5000/app@sha256:...` keeps its host and digest. A first component is a registry host
 * when it contains `.` or `:`, is `localhost`, or has uppercase letters.
 * @throws OciSpecError `INVALID_REFERENCE` naming what is wrong (uppercase repository, bad tag,
 *   bad digest, empty or too long name, 64-hex id given as name).
 */
export function parseImageReference(input: unknown, options: ParseImageReferenceOptions = {}): ImageReference {
  if (typeof input !== 'string') throw invalid(String(input), `expected a string, got ${typeof input}`);
  if (input === '') throw invalid(input, 'reference is empty');
  if (input.length > 4096) throw invalid(input, 'reference is too long');
  if (input.trim() !== input) throw invalid(input, 'reference has leading or trailing whitespace');

  let rest = input;
  let digest: Digest | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    const digestText = rest.slice(at + 1);
    const problem = digestProblem(digestText);
    if (problem !== undefined) throw invalid(input, problem.message);
    digest = digestText as Digest;
    rest = rest.slice(0, at);
  }

  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > lastSlash) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!TAG.test(tag)) {
      throw invalid(input, `invalid tag "${tag}": up to 128 of [A-Za-z0-9_.-], not starting with "." or "-"`);
    }
  }
  if (rest === '') throw invalid(input, 'repository name is empty');

  const { domain, path } = splitDomain(rest);
  if (!DOMAIN.test(domain)) throw invalid(input, `invalid registry host "${domain}"`);
  if (HEX64.test(rest)) {
    throw invalid(input, 'a 64-character hexadecimal string is an image ID, not a repository name');
  }
  for (const component of path.split('/')) {
    if (component !== component.toLowerCase()) throw invalid(input, 'repository name must be lowercase');
    if (component === '') throw invalid(input, 'repository path has an empty component');
    if (!PATH_COMPONENT.test(component)) {
      throw invalid(
        input,
        `invalid repository path component "${component}": lowercase letters and digits, separated by ".", "_", "__" or "-"`,
      );
    }
  }
  const name = `${domain}/${path}`;
  if (name.length > MAX_NAME_LENGTH) {
    throw invalid(input, `repository name is longer than ${MAX_NAME_LENGTH} characters`);
  }

  if (tag === undefined && digest === undefined && options.defaultTag !== false) tag = DEFAULT_TAG;
  return Object.freeze({
    domain,
    path,
    ...(tag === undefined ? {} : { tag }),
    ...(digest === undefined ? {} : { digest }),
  });
}

/** Like {@link parseImageReference} but returns `undefined` for an invalid reference. */
export function tryParseImageReference(
  input: unknown,
  options: ParseImageReferenceOptions = {},
): ImageReference | undefined {
  try {
    return parseImageReference(input, options);
  } catch {
    return undefined;
  }
}

/** The repository name `domain/path` of a reference, without tag or digest. */
export function referenceName(ref: ImageReference): string {
  return `${ref.domain}/${ref.path}`;
}

/** Formats a reference in full: `docker.io/library/busybox:latest`, `host:5000/app:1@sha256:...`. */
export function formatImageReference(ref: ImageReference): string {
  return `${referenceName(ref)}${ref.tag === undefined ? '' : `:${ref.tag}`}${ref.digest === undefined ? '' : `@${ref.digest}`}`;
}

/**
 * Formats a reference the short way docker prints it: Docker Hub names lose `docker.io/` and
 * `library/` (`busybox:latest`); other registries are kept.
 */
export function familiarImageReference(ref: ImageReference): string {
  let name = referenceName(ref);
  if (ref.domain === DEFAULT_REGISTRY) {
    name = ref.path.startsWith(OFFICIAL_REPOSITORY_PREFIX) && ref.path.split('/').length === 2
      ? ref.path.slice(OFFICIAL_REPOSITORY_PREFIX.length)
      : ref.path;
  }
  return `${name}${ref.tag === undefined ? '' : `:${ref.tag}`}${ref.digest === undefined ? '' : `@${ref.digest}`}`;
}

/** Returns a copy of the reference with a different tag (digest dropped). */
export function withTag(ref: ImageReference, tag: string): ImageReference {
  if (!TAG.test(tag)) throw invalid(tag, `invalid tag "${tag}"`);
  return Object.freeze({ domain: ref.domain, path: ref.path, tag });
}

/** Returns a copy of the reference pinned to a digest (tag kept). */
export function withDigest(ref: ImageReference, digest: Digest): ImageReference {
  return Object.freeze({ domain: ref.domain, path: ref.path, ...(ref.tag === undefined ? {} : { tag: ref.tag }), digest });
}

function splitDomain(name: string): { domain: string; path: string } {
  const slash = name.indexOf('/');
  let domain = DEFAULT_REGISTRY;
  let path = name;
  if (slash !== -1) {
    const first = name.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first.toLowerCase() !== first) {
      domain = first;
      path = name.slice(slash + 1);
    }
  }
  if (domain === 'index.docker.io') domain = DEFAULT_REGISTRY;
  if (domain === DEFAULT_REGISTRY && !path.includes('/')) path = OFFICIAL_REPOSITORY_PREFIX + path;
  return { domain, path };
}

function invalid(input: string, reason: string): OciSpecError {
  const shown = JSON.stringify(input.length > 200 ? `${input.slice(0, 200)}...` : input);
  return new OciSpecError('INVALID_REFERENCE', `invalid image reference ${shown}: ${reason}`);
}
