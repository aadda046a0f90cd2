/** One entry of a runtime's `--log-format json` log. */
export interface RuntimeLogEntry {
  level: string;
  msg: string;
  time?: string;
}

function toEntry(value: unknown): RuntimeLogEntry | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { level, msg, time } = value as Record<string, unknown>;
  if (typeof msg !== 'string') return undefined;
  return {
    level: typeof level === 'string' ? level : 'info',
    msg,
    ...(typeof time === 'string' ? { time } : {}),
  };
}

/**
 * Parses a JSON runtime log (one object per line). crun may write objects without a
 * newline between them, and a crashed runtime may leave a torn last line: both are handled,
 * text that is not a log object is skipped.
 */
export function parseRuntimeLog(text: string): RuntimeLogEntry[] {
  const entries: RuntimeLogEntry[] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '') continue;
    for (const chunk of trimmed.replace(/}\s*{/g, '}\n{').split('\n')) {
      try {
        const entry = toEntry(JSON.parse(chunk));
        if (entry) entries.push(entry);
      } catch {
        // not JSON: ignore
      }
    }
  }
  return entries;
}

/** The last error-level (or fatal/panic) message of a runtime log, if any. */
export function lastRuntimeError(text: string): string | undefined {
  const entries = parseRuntimeLog(text);
  for (let i = entries.length - 1; i >= 0; i--) {
    const entry = entries[i];
    if (entry && /^(error|fatal|panic)$/i.test(entry.level)) return entry.msg;
  }
  return undefined;
}
