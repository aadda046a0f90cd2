import { randomBytes } from 'node:crypto';

/** A new sandbox or container id: 64 lowercase hex characters, as containerd and CRI-O make them. */
export function newId(): string {
  return randomBytes(32).toString('hex');
}
