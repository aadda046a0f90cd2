import { fileURLToPath } from 'node:url';

/** A crun that works on this host's hybrid cgroup layout (see the script): use it as the runtime binary. */
export const CRUN_CGROUP_V1 = fileURLToPath(new URL('../bin/crun-cgroup-v1', import.meta.url));
