import type { CriWorkloads } from './cri-conformance-options.js';

/** The busybox command lines the cases run unless the run gives its own {@link CriWorkloads}. */
export const BUSYBOX_CRI_WORKLOADS: CriWorkloads = {
  sleep: ['sleep', '3600'],
  exit: (code) => ['sh', '-c', `exit ${code}`],
  logs: ['sh', '-c', 'echo first out; echo an err >&2; printf unterminated'],
  spin: ['sh', '-c', 'while :; do :; done'],
  oom: { command: ['sh', '-c', `x=$(head -c ${16 * 1024 * 1024 * 6} /dev/zero | tr '\\0' a); echo survived`], memoryLimitBytes: 16 * 1024 * 1024 },
  // the sleep runs in the background so the trapped signal ends `wait` at once
  trapTerm: (code) => ['sh', '-c', `trap 'exit ${code}' TERM; while :; do sleep 3600 & wait $!; done`],
  // an ignored signal stays ignored across exec
  ignoreTerm: ['sh', '-c', "trap '' TERM; exec sleep 3600"],
};
