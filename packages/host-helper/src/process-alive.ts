/**
 * Whether a process with this pid exists: signal 0 reaches it, or it exists but belongs to
 * someone this process may not signal (EPERM).
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
