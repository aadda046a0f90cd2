import { isAbsolute, normalize } from 'node:path';
import { ShimError } from '../errors.js';

/** A bind mount of a host path into the container (`-v HOST:CTR[:OPTIONS]`). */
export interface VolumeMount {
  /** Absolute host path. */
  source: string;
  /** Absolute path in the container. */
  destination: string;
  readonly: boolean;
}

const OPTIONS = new Set(['ro', 'rw', 'z', 'Z']);

/**
 * Parses a `-v` value: `HOST:CONTAINER[:ro|rw]` with absolute paths (named volumes are not
 * supported). The host path must exist (checked when the container is created).
 * @throws ShimError `InvalidArgument` naming what is wrong.
 */
export function parseVolume(spec: string): VolumeMount {
  const bad = (why: string): ShimError => new ShimError('InvalidArgument', `invalid volume ${JSON.stringify(spec)}: ${why}`);
  const parts = spec.split(':');
  if (parts.length < 2 || parts.length > 3) throw bad('expected HOST-DIR:CONTAINER-DIR[:ro|rw]');
  const [source = '', destination = '', options = ''] = parts;
  if (!isAbsolute(source)) throw bad(`host path ${JSON.stringify(source)} is not absolute (named volumes are not supported)`);
  if (!isAbsolute(destination)) throw bad(`container path ${JSON.stringify(destination)} is not absolute`);
  const flags = options === '' ? [] : options.split(',');
  for (const f of flags) if (!OPTIONS.has(f)) throw bad(`unknown option ${JSON.stringify(f)} (ro, rw)`);
  return { source: normalize(source), destination: normalize(destination), readonly: flags.includes('ro') };
}
