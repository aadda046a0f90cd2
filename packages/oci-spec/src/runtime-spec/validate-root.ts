import { statSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { field, isObject } from '../validation/issue.js';
import type { SpecContext } from './validation-context.js';

/**
 * `root` is required (except for Windows); with a bundle, the bundle must be a directory and
 * `root.path` must name an existing directory, which should lie inside the bundle.
 */
export function validateRoot(ctx: SpecContext): void {
  const root = field(ctx.spec, 'root');
  if (root === undefined) {
    if (ctx.isLinux && isObject(ctx.spec)) ctx.out.must('/root', 'required', 'root is required on Linux');
    return;
  }
  if (ctx.bundle === undefined) return;
  if (!isDirectory(ctx.bundle)) {
    ctx.out.must('', 'bundle-exists', `bundle ${ctx.bundle} is not an existing directory`);
    return;
  }
  const path = field(root, 'path');
  if (typeof path !== 'string' || path === '') return;
  const bundle = resolve(ctx.bundle);
  const rootfs = resolve(bundle, path);
  const rel = relative(bundle, rootfs);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
    ctx.out.should('/root/path', 'root-inside-bundle', `root ${rootfs} is not inside the bundle ${bundle}`);
  }
  if (!isDirectory(rootfs)) {
    ctx.out.must('/root/path', 'root-exists', `root ${rootfs} is not an existing directory`);
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
