import { formatImageReference, parseImageReference } from '@shimkit/oci-spec';
import { ImageStoreError } from '../errors.js';

/** One image of a `docker save` archive's manifest.json. */
export interface DockerArchiveEntry {
  /** Path of the image config inside the archive. */
  Config: string;
  /** Names, e.g. `busybox:latest` (short forms as docker writes them). */
  RepoTags: string[] | null;
  /** Paths of the uncompressed (or compressed) layer tars, base first. */
  Layers: string[];
}

/** Parses manifest.json of a docker archive. */
export function parseDockerArchiveManifest(text: string, file: string): DockerArchiveEntry[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ImageStoreError('INVALID_ARGUMENT', `docker archive ${file}: manifest.json is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  const ok = Array.isArray(doc) && doc.every((e: Partial<DockerArchiveEntry>) => typeof e?.Config === 'string' && Array.isArray(e.Layers) && e.Layers.every((l) => typeof l === 'string'));
  if (!ok) throw new ImageStoreError('INVALID_ARGUMENT', `docker archive ${file}: manifest.json is not a list of {Config, RepoTags, Layers}`);
  return doc as DockerArchiveEntry[];
}

function normalized(name: string): string | undefined {
  try {
    return formatImageReference(parseImageReference(name));
  } catch {
    return undefined;
  }
}

/** The entry tagged `name` (compared in normalized form), else the only entry. */
export function pickDockerArchiveEntry(entries: readonly DockerArchiveEntry[], file: string, name?: string): DockerArchiveEntry {
  if (name === undefined) {
    if (entries.length === 1) return entries[0]!;
    throw new ImageStoreError('INVALID_ARGUMENT', `docker archive ${file} holds ${entries.length} images; name one (docker-archive:${file}:NAME)`);
  }
  const wanted = normalized(name);
  const found = entries.find((e) => (e.RepoTags ?? []).some((t) => normalized(t) === wanted));
  if (found === undefined) throw new ImageStoreError('NOT_FOUND', `docker archive ${file} has no image named ${JSON.stringify(name)}`);
  return found;
}
