import { OciSpecError } from '../errors.js';
import type { User } from './types.js';
import { parseGroup, parseId, parsePasswd } from './user-database.js';

/** Contents of the container's user databases. Absent files count as empty. */
export interface UserDatabases {
  /** `/etc/passwd` content. */
  passwd?: string;
  /** `/etc/group` content. */
  group?: string;
}

/**
 * Resolves an image `User` (`''`, `uid`, `name`, `uid:gid`, `name:group`, `uid:group`, `name:gid`)
 * to a runtime-spec user, following image-spec conversion rules:
 * numeric values are copied verbatim; names are looked up in /etc/passwd and /etc/group;
 * `additionalGids` come from /etc/group memberships only when the user is given by name
 * without a group; a uid alone takes its primary gid from /etc/passwd (0 when not listed);
 * an empty user is root.
 * @throws OciSpecError `UNKNOWN_USER` / `UNKNOWN_GROUP` naming what was not found, `INVALID_ARGUMENT` for
 *   a malformed value.
 */
export function resolveImageUser(userSpec: string, databases: UserDatabases = {}): User {
  const text = userSpec.trim();
  const colon = text.indexOf(':');
  const userPart = colon === -1 ? text : text.slice(0, colon);
  const groupPart = colon === -1 ? undefined : text.slice(colon + 1);
  if (groupPart !== undefined && (groupPart === '' || groupPart.includes(':'))) {
    throw new OciSpecError('INVALID_ARGUMENT', `invalid user ${JSON.stringify(userSpec)}: expected user[:group]`);
  }
  const passwd = parsePasswd(databases.passwd ?? '');
  const groups = parseGroup(databases.group ?? '');

  let uid: number;
  let gid = 0;
  let name: string | undefined;
  const numericUid = parseId(userPart);
  if (userPart === '') {
    uid = 0;
    name = passwd.find((p) => p.uid === 0)?.name;
  } else if (numericUid !== undefined) {
    uid = numericUid;
    gid = passwd.find((p) => p.uid === uid)?.gid ?? 0;
  } else {
    const entry = passwd.find((p) => p.name === userPart);
    if (entry === undefined) {
      throw new OciSpecError(
        'UNKNOWN_USER',
        `user ${JSON.stringify(userPart)} is not in the image's /etc/passwd${databases.passwd === undefined ? ' (no /etc/passwd)' : ''}`,
      );
    }
    uid = entry.uid;
    gid = entry.gid;
    name = entry.name;
  }

  if (groupPart !== undefined) {
    const numericGid = parseId(groupPart);
    if (numericGid !== undefined) return { uid, gid: numericGid };
    const group = groups.find((g) => g.name === groupPart);
    if (group === undefined) {
      throw new OciSpecError(
        'UNKNOWN_GROUP',
        `group ${JSON.stringify(groupPart)} is not in the image's /etc/group${databases.group === undefined ? ' (no /etc/group)' : ''}`,
      );
    }
    return { uid, gid: group.gid };
  }

  if (name === undefined || numericUid !== undefined) return { uid, gid };
  const member = name;
  const additional = [...new Set(groups.filter((g) => g.members.includes(member) && g.gid !== gid).map((g) => g.gid))];
  return additional.length > 0 ? { uid, gid, additionalGids: additional } : { uid, gid };
}
