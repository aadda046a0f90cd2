/** One line of `/etc/passwd`. */
export interface PasswdEntry {
  /** Login name. */
  name: string;
  /** User ID. */
  uid: number;
  /** Primary group ID. */
  gid: number;
  /** Home directory. */
  home: string;
  /** Login shell. */
  shell: string;
}

/** One line of `/etc/group`. */
export interface GroupEntry {
  /** Group name. */
  name: string;
  /** Group ID. */
  gid: number;
  /** Member login names. */
  members: string[];
}

const MAX_ID = 0xffffffff;

/** Parses a decimal ID in 0..2^32-1, or returns undefined. */
export function parseId(text: string): number | undefined {
  if (!/^[0-9]{1,10}$/.test(text)) return undefined;
  const n = Number(text);
  return n <= MAX_ID ? n : undefined;
}

/** Parses `/etc/passwd` content; malformed lines and comments are skipped (as libc does). */
export function parsePasswd(content: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of content.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const [name = '', , uidText = '', gidText = '', , home = '', shell = ''] = line.split(':');
    const uid = parseId(uidText);
    const gid = parseId(gidText);
    if (name === '' || uid === undefined || gid === undefined) continue;
    out.push({ name, uid, gid, home, shell: shell.trimEnd() });
  }
  return out;
}

/** Parses `/etc/group` content; malformed lines and comments are skipped. */
export function parseGroup(content: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of content.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const [name = '', , gidText = '', membersText = ''] = line.split(':');
    const gid = parseId(gidText);
    if (name === '' || gid === undefined) continue;
    const members = membersText.trim() === '' ? [] : membersText.trim().split(',').map((m) => m.trim()).filter((m) => m !== '');
    out.push({ name, gid, members });
  }
  return out;
}
