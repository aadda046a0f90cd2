import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readFileInRoot } from '@shimkit/oci-spec';

/**
 * As podman does for a numeric `--user` the image does not know: copies of the image's
 * /etc/passwd and /etc/group in the bundle with an entry for it (`UID:*:UID:GID:container
 * user:/:/bin/sh`, group `GID:x:GID:UID`), to be bind-mounted, so that tools resolving the
 * current user (id, whoami, shells) find one. Nothing when the user is a name or known.
 */
export async function userEntries(rootfs: string, bundle: string, user: string | undefined): Promise<{ passwd?: string; group?: string }> {
  const m = /^(\d+)(?::(\d+))?$/.exec(user ?? '');
  if (m === null) return {};
  const uid = m[1] as string;
  const gid = m[2] ?? '0';
  const [passwd, group] = await Promise.all([readFileInRoot(rootfs, '/etc/passwd'), readFileInRoot(rootfs, '/etc/group')]);
  const known = (text: string | undefined, id: string): boolean => (text ?? '').split('\n').some((l) => l.split(':')[2] === id);
  const out: { passwd?: string; group?: string } = {};
  const withLine = (text: string | undefined, line: string): string => `${text === undefined || text === '' || text.endsWith('\n') ? (text ?? '') : `${text}\n`}${line}\n`;
  if (passwd !== undefined && !known(passwd, uid)) {
    out.passwd = join(bundle, 'passwd');
    await writeFile(out.passwd, withLine(passwd, `${uid}:*:${uid}:${gid}:container user:/:/bin/sh`));
  }
  if (group !== undefined && !known(group, gid)) {
    out.group = join(bundle, 'group');
    await writeFile(out.group, withLine(group, `${gid}:x:${gid}:${uid}`));
  }
  return out;
}
