import { SupplementalGroupsPolicy, type ContainerConfig } from '@shimkit/cri-types';
import { parseGroup, parseId, parsePasswd, readFileInRoot, type UserDatabases } from '@shimkit/oci-spec';
import { ShimError } from '../errors.js';

/**
 * The user string (`uid`, `name`, `uid:gid`, `name:gid`) a container's security context asks
 * for, or undefined for the image's user. A run-as group needs a run-as user or user name
 * (kubelet never sends one alone; containerd and CRI-O refuse it too).
 */
export function requestedUser(config: ContainerConfig): string | undefined {
  const sc = config.linux?.securityContext;
  const group = sc?.runAsGroup?.value;
  const user = sc?.runAsUser !== undefined ? sc.runAsUser.value.toString() : sc?.runAsUsername || undefined;
  if (user === undefined) {
    if (group !== undefined) throw new ShimError('InvalidArgument', 'linux.security_context.run_as_group is set without run_as_user or run_as_username');
    return undefined;
  }
  return group === undefined ? user : `${user}:${group}`;
}

/** What {@link supplementaryGroups} needs to know. */
export interface SupplementaryGroupsInput {
  /** The resolved process identity. */
  uid: number;
  gid: number;
  /** The user string the uid came from (`''`, `uid`, `name`, with `:group` or not). */
  userSpec: string;
  /** The image's /etc/passwd and /etc/group. */
  databases: UserDatabases;
  config: ContainerConfig;
}

/** The /etc/passwd and /etc/group of a root filesystem (read at once; symlinks stay inside it), where they exist. */
export async function readUserDatabases(rootfs: string, signal?: AbortSignal): Promise<UserDatabases> {
  const options = signal === undefined ? {} : { signal };
  const [passwd, group] = await Promise.all([readFileInRoot(rootfs, '/etc/passwd', options), readFileInRoot(rootfs, '/etc/group', options)]);
  return { ...(passwd === undefined ? {} : { passwd }), ...(group === undefined ? {} : { group }) };
}

/**
 * The supplementary groups of a container's processes, as containerd sets them: the primary
 * gid; with `SupplementalGroupsPolicy.Merge` (the default) the groups whose member list in the
 * image's /etc/group names the user (by name, or the /etc/passwd name of its uid); then the
 * security context's supplemental groups. `Strict` leaves the image's memberships out.
 */
export function supplementaryGroups(input: SupplementaryGroupsInput): number[] {
  const sc = input.config.linux?.securityContext;
  const requested = (sc?.supplementalGroups ?? []).map(Number);
  const fromImage: number[] = [];
  if ((sc?.supplementalGroupsPolicy ?? SupplementalGroupsPolicy.Merge) === SupplementalGroupsPolicy.Merge) {
    const userPart = input.userSpec.trim().split(':')[0] ?? '';
    let name: string | undefined = userPart !== '' && parseId(userPart) === undefined ? userPart : undefined;
    name ??= parsePasswd(input.databases.passwd ?? '').find((p) => p.uid === input.uid)?.name;
    if (name !== undefined) {
      const member = name;
      for (const group of parseGroup(input.databases.group ?? '')) if (group.members.includes(member)) fromImage.push(group.gid);
    }
  }
  return [...new Set([input.gid, ...fromImage, ...requested])];
}
