import { arrayEntries, field, pointer, show } from '../validation/issue.js';
import type { SpecContext } from './validation-context.js';

/** Seccomp actions of the runtime-spec. */
export const SECCOMP_ACTIONS: readonly string[] = [
  'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY',
];
/** Seccomp argument operators of the runtime-spec. */
export const SECCOMP_OPERATORS: readonly string[] = [
  'SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ',
];

/** Seccomp: known actions and operators, architectures named `SCMP_ARCH_*`, a listener for `SCMP_ACT_NOTIFY`. */
export function validateSeccomp(ctx: SpecContext): void {
  const seccomp = field(field(ctx.spec, 'linux'), 'seccomp');
  if (seccomp === undefined) return;
  const base = '/linux/seccomp';
  let notify = false;
  const checkAction = (value: unknown, path: string): void => {
    if (typeof value !== 'string') return;
    if (!SECCOMP_ACTIONS.includes(value)) ctx.out.must(path, 'seccomp-action', `unknown seccomp action ${show(value)}`);
    if (value === 'SCMP_ACT_NOTIFY') notify = true;
  };
  checkAction(field(seccomp, 'defaultAction'), pointer(base, 'defaultAction'));
  for (const [i, arch] of arrayEntries(field(seccomp, 'architectures'))) {
    if (typeof arch === 'string' && !/^SCMP_ARCH_[A-Z0-9_]+$/.test(arch)) {
      ctx.out.must(pointer(base, 'architectures', i), 'seccomp-arch', `unknown seccomp architecture ${show(arch)}`);
    }
  }
  for (const [i, rule] of arrayEntries(field(seccomp, 'syscalls'))) {
    checkAction(field(rule, 'action'), pointer(base, 'syscalls', i, 'action'));
    for (const [j, arg] of arrayEntries(field(rule, 'args'))) {
      const op = field(arg, 'op');
      if (typeof op === 'string' && !SECCOMP_OPERATORS.includes(op)) {
        ctx.out.must(pointer(base, 'syscalls', i, 'args', j, 'op'), 'seccomp-operator', `unknown seccomp operator ${show(op)}`);
      }
    }
  }
  if (notify && typeof field(seccomp, 'listenerPath') !== 'string') {
    ctx.out.must(pointer(base, 'listenerPath'), 'seccomp-listener', 'SCMP_ACT_NOTIFY needs a listenerPath');
  }
}
