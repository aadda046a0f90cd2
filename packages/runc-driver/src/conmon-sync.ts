/** One message conmon writes to its sync pipe (`--api-version 1`: `{"data": n, "message": "..."}`). */
export interface SyncMessage {
  /** Container pid on success; -1 (or another negative number) on failure. */
  data: number;
  message?: string;
}

/** Parses one sync-pipe line; undefined when it is not a conmon message. */
export function parseSyncMessage(line: string): SyncMessage | undefined {
  try {
    const value = JSON.parse(line) as Record<string, unknown>;
    // api-version 0 used "pid" / "exit_code" instead of "data"
    const data = value['data'] ?? value['pid'] ?? value['exit_code'];
    if (typeof data !== 'number') return undefined;
    return typeof value['message'] === 'string' ? { data, message: value['message'] } : { data };
  } catch {
    return undefined;
  }
}
