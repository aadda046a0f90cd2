import { dirname } from 'node:path';

/**
 * The scopes a docker reference falls in, most specific first, as
 * containers-policy.json(5) and containers-registries.d(5) look them up:
 * `host/ns/repo:tag` (or `@digest`), `host/ns/repo`, `host/ns`, `host`,
 * then (policies only) `*.domain` wildcards of the host's parent domains.
 */
export function dockerScopes(fullReference: string, options: { wildcards: boolean }): string[] {
  const scopes: string[] = [fullReference];
  const at = fullReference.indexOf('@');
  let name = at < 0 ? fullReference : fullReference.slice(0, at);
  const slash = name.indexOf('/');
  const colon = name.lastIndexOf(':');
  if (colon > slash && slash >= 0) name = name.slice(0, colon);
  if (name !== fullReference) scopes.push(name);
  for (let cut = name.lastIndexOf('/'); cut > 0; cut = name.lastIndexOf('/')) {
    name = name.slice(0, cut);
    scopes.push(name);
  }
  if (options.wildcards) {
    const host = name.replace(/:\d+$/, '');
    const labels = host.split('.');
    for (let i = 1; i < labels.length; i++) scopes.push(`*.${labels.slice(i).join('.')}`);
  }
  return scopes;
}

/** The scopes of an image in a directory or archive: `path:name`, `path`, then its parent directories (not `/`). */
export function pathScopes(path: string, name: string | undefined): string[] {
  const scopes = name === undefined ? [] : [`${path}:${name}`];
  for (let p = path; p !== '/' && p !== '.' && p !== ''; p = dirname(p)) scopes.push(p);
  return scopes;
}
